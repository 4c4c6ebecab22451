"""What every part of the workspace shares: who may use it, and how transitions are named."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.models import User

TRANSITION_LABELS: dict[str, str] = {
    "start": "Take case & start",
    "await_release": "Await release",
    "engage_engineering": "Engage engineering",
    "request_customer_action": "Request customer action",
    "resume": "Resume work",
    "propose_resolution": "Propose resolution",
    "close_out_of_scope": "Close as out of scope",
    "reopen": "Reopen",
    "respond": "Respond",
    "confirm_resolution": "Confirm resolution",
    "reject_resolution": "Reject resolution",
}


def transition_label(name: str) -> str:
    return TRANSITION_LABELS.get(name, name.replace("_", " ").capitalize())


def staff_user(request: HttpRequest) -> User:
    """The signed-in support staff member; anyone else is refused (403)."""
    user = request.user
    if not isinstance(user, User) or not (user.is_active and user.is_staff):
        raise PermissionDenied
    return user


class RoutingQueueFilter(admin.RelatedOnlyFieldListFilter):
    """The routing queue a case waits in (not to be confused with the saved-view "queue" filter)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "routing queue"


Shortcut = tuple[tuple[str, ...], str]

LIST_SHORTCUTS: list[Shortcut] = [
    (("j", "k"), "move to the next / previous case in the list"),
    (("Enter", "o"), "open the case under the cursor"),
    (("x",), "select it for a bulk action"),
    (("q",), "go to the queue tabs (then ← →, Enter)"),
    (("/",), "search cases"),
    (("?",), "show these shortcuts"),
]


def case_page_shortcuts(transitions: list[dict[str, Any]], *, from_queue: bool) -> list[Shortcut]:
    """The case page's keys: writing, moving through the queue, and each transition it offers."""
    keys: list[Shortcut] = [
        (("r",), "write a public reply (the box has focus when the page opens)"),
        (("n",), "write an internal note"),
        (("m",), "search macros (↓ ↑ to choose, Enter inserts at the caret)"),
        (("a",), "assign the case to me"),
    ]
    if from_queue:
        keys += [
            (("j",), "next case in the queue"),
            (("k",), "previous case in the queue"),
            (("u",), "back to the queue"),
        ]
    for transition in transitions:
        if transition["key"]:
            suffix = "…" if transition["needs_input"] else ""
            keys.append(((transition["key"],), f"{transition['label']}{suffix} → {transition['target']}"))
            if from_queue and not transition["needs_input"]:
                keys.append(((f"Shift+{transition['key']}",), f"{transition['label']}, then the next case"))
    keys += [
        (("/",), "search cases"),
        (("?",), "show these shortcuts"),
        (("Ctrl+Enter",), "in a text box: send it"),
    ]
    if from_queue:
        keys.append((("Ctrl+Shift+Enter",), "in a text box: send it, then open the next case"))
    return keys
