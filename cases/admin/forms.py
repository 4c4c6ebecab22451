"""Forms of the workspace: they validate shape only; the services decide."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from accounts.models import User
from cases.models import CannedResponse, CaseStatus, OutOfScopeReason, Priority

# What the form field for each transition input looks like (keys: selectors.TRANSITION_INPUTS values).
_TEXT = {"rows": 5, "cols": 80}


def _input_field(name: str) -> forms.Field:
    if name == "tentative_release_date":
        return forms.DateField(label="Tentative release date", widget=forms.DateInput(attrs={"type": "date"}))
    if name == "out_of_scope_reason":
        return forms.ModelChoiceField(
            label="Out-of-scope reason",
            queryset=OutOfScopeReason.objects.filter(is_active=True),
            help_text="The customer is told where to go instead (the reason's referral).",
        )
    if name == "message":
        return forms.CharField(
            label="Message to the customer",
            widget=forms.Textarea(attrs=_TEXT),
            help_text="Posted on the case as a public comment.",
        )
    if name == "resolution":
        return forms.CharField(
            label="Proposed resolution", widget=forms.Textarea(attrs=_TEXT), help_text="The customer sees it."
        )
    if name == "reason":
        return forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))
    raise ValueError(f"No form field for transition input '{name}'.")


class TransitionForm(forms.Form):
    """The inputs one transition needs, plus the status the user saw (to spot a concurrent change)."""

    seen_status = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)

    def __init__(self, *args: Any, required_fields: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in required_fields:
            self.fields[name] = _input_field(name)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's recipe); each is checked by the services' attachment rules."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ReplyForm(forms.Form):
    """A public reply (optionally from a macro that moves the case, sets its priority or assignee)
    or an internal note, with files; ``seen_comment`` is the newest comment the analyst had on screen."""

    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "cols": 80}))
    canned = forms.ModelChoiceField(
        queryset=CannedResponse.objects.filter(is_active=True), required=False, widget=forms.HiddenInput
    )
    apply_transition = forms.BooleanField(required=False)
    apply_priority = forms.BooleanField(required=False)
    apply_assignee = forms.BooleanField(required=False)
    attachments = MultipleFileField(required=False)
    seen_comment = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        return body.replace("\r\n", "\n")  # browsers post text boxes with CRLF; the API stores LF


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.filter(is_staff=True, is_active=True).order_by("username"),
        required=False,
        empty_label="— nobody —",
    )


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}), help_text="Recorded in the case history."
    )


class BulkForm(forms.Form):
    """An intermediate page of a bulk action: it posts the selection and the action back."""

    apply = forms.CharField(widget=forms.HiddenInput, initial="1")
    action = forms.CharField(widget=forms.HiddenInput)
    select_across = forms.CharField(widget=forms.HiddenInput, required=False)


class BulkAssignForm(BulkForm):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.filter(is_staff=True, is_active=True).order_by("username"), label="Assign to"
    )


class BulkPriorityForm(BulkForm):
    priority = forms.ChoiceField(choices=Priority.choices)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), help_text="Recorded on every case changed."
    )


class DecisionForm(BulkForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), help_text="Recorded and shown on the case."
    )


SELECTED = ACTION_CHECKBOX_NAME


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=60)
    query = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)
    is_shared = forms.BooleanField(required=False, label="Share with the team")


def _time_zone_choices() -> list[tuple[str, str]]:
    return [("", "— follow my browser —"), *((zone, zone) for zone in sorted(available_timezones()))]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        required=False,
        label="Time zone",
        help_text="Every time in the workspace is shown in it; empty: your browser's.",
    )
