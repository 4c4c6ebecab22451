"""Who on the support side hears about which case event (cases/notices.py): inbox lines
(AgentNotice) and their e-mails, by the analyst's preference; support managers' e-mails; digests."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from cases.models import AgentNotice, AnalystProfile, Case, CaseEvent, Queue
from cases.notices import (
    agent_notice_digests_write,
    case_event_notices_write,
    digest_window_end,
    mentioned_usernames,
)
from cases.services import (
    agent_notices_mark_read,
    analyst_notice_preferences_set,
    attachment_add,
    case_assign,
    case_transition,
    comment_create,
    escalation_request,
)
from cases.services.routing import case_route
from core.errors import ValidationFailed
from inbound.processing import inbound_email_process
from notifications.delivery import notifications_deliver_due
from notifications.messages import MESSAGES
from notifications.models import Notification
from sla.services import _event as sla_event
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, SupportManagerFactory, member
from tests.inbound.inbound_mail import inbound

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
Kind = AgentNotice.Kind


@dataclass
class World:
    case: Case
    customer: User
    assignee: User  # the case's analyst when it is assigned
    available: User  # in the case's queue, available
    away: User  # in the case's queue, away
    manager: User  # a support manager, in no queue


def make_world(*, status: str = Case.Status.IN_PROGRESS, assigned: bool = True, **case_fields) -> World:
    company = CompanyFactory()
    customer = member(company, role="dsu")
    assignee, available, away = AnalystFactory(), AnalystFactory(), AnalystFactory()
    queue = Queue.objects.create(name=f"Queue of {company.name}")
    queue.analysts.add(assignee, available, away)
    for analyst, availability in ((assignee, "available"), (available, "available"), (away, "away")):
        AnalystProfile.objects.create(user=analyst, availability=availability)
    case = CaseFactory(
        company=company,
        opened_by=customer,
        status=status,
        queue=queue,
        assignee=assignee if assigned else None,
        **case_fields,
    )
    return World(case, customer, assignee, available, away, SupportManagerFactory())


def notices() -> list[tuple[str, str]]:
    return sorted(AgentNotice.objects.values_list("recipient__username", "kind"))


def staff_emails() -> list[tuple[str, str]]:
    """(recipient, kind) of every e-mail written to staff."""
    return sorted(
        Notification.objects.filter(channel="email", recipient__is_staff=True).values_list(
            "recipient__username", "kind"
        )
    )


def reply_to(case: Case) -> str:
    return f"case+{case.reply_token}@inbound.casedesk.localhost"


def upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("recording.zip", b"PK\x03\x04recording", content_type="application/zip")


# Customer moves: (name, status the case is in, the move, the kind the analyst is told).
CUSTOMER_MOVES = [
    (
        "public comment over the API",
        Case.Status.IN_PROGRESS,
        lambda w: comment_create(case=w.case, author=w.customer, body="Here is the log.", now=NOW),
        Kind.CUSTOMER_REPLY,
    ),
    (
        "reply by e-mail",
        Case.Status.IN_PROGRESS,
        lambda w: inbound_email_process(
            message=inbound(w.customer.email, reply_to(w.case), "Log attached."), now=NOW
        ),
        Kind.CUSTOMER_REPLY,
    ),
    (
        "answer to Pending Customer Action (a comment)",
        Case.Status.PENDING_CUSTOMER,
        lambda w: comment_create(case=w.case, author=w.customer, body="Done, try now.", now=NOW),
        Kind.CUSTOMER_REPLY,
    ),
    (
        "answer to Pending Customer Action by e-mail",
        Case.Status.PENDING_CUSTOMER,
        lambda w: inbound_email_process(
            message=inbound(w.customer.email, reply_to(w.case), "Done."), now=NOW
        ),
        Kind.CUSTOMER_REPLY,
    ),
    (
        "rejected resolution",
        Case.Status.VERIFY_RESOLUTION,
        lambda w: (
            case_transition(
                case=w.case,
                actor=w.customer,
                transition="reject_resolution",
                message="Still broken.",
                now=NOW,
            ).case
        ),
        Kind.RESOLUTION_REJECTED,
    ),
    (
        "rejected resolution by a comment",
        Case.Status.VERIFY_RESOLUTION,
        lambda w: comment_create(case=w.case, author=w.customer, body="Still broken.", now=NOW),
        Kind.RESOLUTION_REJECTED,
    ),
    (
        "rejected resolution by e-mail",
        Case.Status.VERIFY_RESOLUTION,
        lambda w: inbound_email_process(
            message=inbound(w.customer.email, reply_to(w.case), "Still broken."), now=NOW
        ),
        Kind.RESOLUTION_REJECTED,
    ),
    (
        "reopen",
        Case.Status.CLOSED,
        lambda w: case_transition(case=w.case, actor=w.customer, transition="reopen", now=NOW).case,
        Kind.REOPENED,
    ),
    (
        "escalation request",
        Case.Status.IN_PROGRESS,
        lambda w: escalation_request(
            case=w.case, requested_by=w.customer, message="Urgent: payroll.", now=NOW
        ),
        Kind.ESCALATION_REQUESTED,
    ),
    (
        "upload without a comment",
        Case.Status.IN_PROGRESS,
        lambda w: attachment_add(case=w.case, uploaded_by=w.customer, upload=upload(), now=NOW),
        Kind.CUSTOMER_ATTACHMENT,
    ),
]


def _fields_for(status: str) -> dict[str, object]:
    if status == Case.Status.CLOSED:
        return {"closed_at": NOW - timedelta(days=1)}
    if status == Case.Status.VERIFY_RESOLUTION:
        return {"auto_close_at": NOW + timedelta(days=8), "resolution": "Fixed."}
    return {}


@pytest.mark.parametrize("assigned", [True, False], ids=["assigned", "unassigned"])
@pytest.mark.parametrize(
    ("name", "status", "move", "kind"), CUSTOMER_MOVES, ids=[m[0] for m in CUSTOMER_MOVES]
)
def test_a_customer_move_tells_the_assignee_or_else_the_available_analysts_of_the_queue_once(
    name, status, move, kind, assigned
):
    world = make_world(status=status, assigned=assigned, **_fields_for(status))

    move(world)

    # Unassigned: the queue's available analysts (the would-be assignee is one), never someone away.
    told = [world.assignee] if assigned else [world.assignee, world.available]
    assert notices() == sorted((user.username, kind) for user in told)
    agent_emails = [e for e in staff_emails() if e[1].startswith("agent_")]
    # One e-mail each, however many rows the move wrote (a comment and a transition, say).
    assert agent_emails == sorted((user.username, f"agent_{kind}") for user in told)
    for notice in AgentNotice.objects.all():
        assert (notice.case, notice.actor, notice.read_at, notice.created_at) == (
            world.case,
            world.customer,
            None,
            NOW,
        )


def test_the_inbox_line_quotes_what_the_customer_wrote_and_the_email_carries_it_all():
    world = make_world()
    text = "The export still stops at line 42.\n\n" + "x" * 400

    comment_create(case=world.case, author=world.customer, body=text, now=NOW)

    notice = AgentNotice.objects.get()
    assert notice.excerpt.startswith("The export still stops at line 42. xxx") and len(notice.excerpt) == 300
    email = Notification.objects.get(kind="agent_customer_reply")
    assert email.context["message"] == text and email.context["actor"] == str(world.customer)
    assert email.context["case_url"].endswith(f"/admin/cases/case/{world.case.pk}/change/")


def test_a_case_with_neither_analyst_nor_available_queue_analysts_tells_nobody():
    world = make_world(assigned=False)
    AnalystProfile.objects.filter(user=world.available).update(availability="away")
    Case.objects.filter(pk=world.case.pk).update(queue=None)

    comment_create(case=world.case, author=world.customer, body="Hello?", now=NOW)

    assert notices() == [] and staff_emails() == []


@pytest.mark.parametrize(
    ("move", "expected"),
    [
        ("staff public reply", []),
        ("staff internal note", []),
        ("support move", []),
        (
            "upload attached to a comment",
            [Kind.CUSTOMER_REPLY],
        ),  # the comment told them; the file adds nothing
    ],
)
def test_support_moves_and_parts_of_a_told_move_tell_no_analyst(move, expected):
    world = make_world()
    colleague = world.available
    if move == "staff public reply":
        comment_create(case=world.case, author=colleague, body="We are on it.", now=NOW)
    elif move == "staff internal note":
        comment_create(
            case=world.case, author=colleague, body="Looks like the lock.", is_internal=True, now=NOW
        )
    elif move == "support move":
        case_transition(case=world.case, actor=colleague, transition="engage_engineering", now=NOW)
    else:
        comment, _ = comment_create(case=world.case, author=world.customer, body="See attached.", now=NOW)
        attachment_add(case=world.case, uploaded_by=world.customer, upload=upload(), comment=comment, now=NOW)

    assert notices() == [(world.assignee.username, kind) for kind in expected]


def test_assignment_tells_the_new_assignee_unless_they_took_it_themselves():
    world = make_world(assigned=False)

    case_assign(case=world.case, actor=world.manager, assignee=world.away, now=NOW)
    case_assign(case=world.case, actor=world.available, assignee=world.available, now=NOW)  # takes it
    case_assign(case=world.case, actor=world.manager, assignee=None, now=NOW)  # nobody: nobody told

    assert notices() == [(world.away.username, Kind.ASSIGNED)]  # assigned to them even while away
    assert staff_emails() == [(world.away.username, "agent_assigned")]
    email = Notification.objects.get()
    assert email.context["actor"] == str(world.manager)


def test_routing_tells_the_analyst_it_gives_the_case_to():
    world = make_world(assigned=False, status=Case.Status.OPEN)
    AnalystProfile.objects.filter(user=world.assignee).update(availability="away")

    case_route(case_id=world.case.pk, now=NOW)

    assert notices() == [(world.available.username, Kind.ASSIGNED)]
    assert Notification.objects.get(kind="agent_assigned").context["actor"] == ""  # routing, not a person


def test_a_mention_in_an_internal_note_tells_the_mentioned_staff_whoever_the_case_belongs_to():
    world = make_world()
    outsider = AnalystFactory()  # in no queue, not assigned
    body = (
        f"@{outsider.username}, can you check the ledger lock? cc @{world.away.username}. "
        f"Not @nobody-here, not @{world.customer.username} (a customer), not mail@{outsider.username}.com, "
        f"and not myself @{world.assignee.username}; @{outsider.username} again."
    )

    comment_create(case=world.case, author=world.assignee, body=body, is_internal=True, now=NOW)

    assert notices() == sorted([(outsider.username, Kind.MENTIONED), (world.away.username, Kind.MENTIONED)])
    assert staff_emails() == sorted(
        [(outsider.username, "agent_mentioned"), (world.away.username, "agent_mentioned")]
    )
    assert Notification.objects.filter(recipient=world.customer).count() == 0  # internal stays internal


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@ann please look", ["ann"]),
        ("cc @ann.b, @bob-c. and @ann.b again", ["ann.b", "bob-c"]),
        ("write to ann@example.com", []),
        ("(@carol) @dave!", ["carol", "dave"]),
        ("an @ alone", []),
    ],
)
def test_mentions_are_usernames_after_an_at_sign_not_inside_addresses(text, names):
    assert mentioned_usernames(text) == names


def test_mentions_in_a_customer_comment_tell_nobody_but_the_analyst():
    world = make_world()

    comment_create(case=world.case, author=world.customer, body=f"@{world.away.username} help", now=NOW)

    assert notices() == [(world.assignee.username, Kind.CUSTOMER_REPLY)]


def test_the_actor_is_never_told_of_their_own_move():
    world = make_world(status=Case.Status.CLOSED, closed_at=NOW - timedelta(days=1))
    Case.objects.filter(pk=world.case.pk).update(assignee=world.manager)

    case_transition(case=world.case, actor=world.manager, transition="reopen", now=NOW)  # a manager may

    assert notices() == []
    assert [kind for _, kind in staff_emails()] == []


def test_an_escalation_request_tells_the_analyst_and_asks_the_managers_once_each():
    world = make_world()
    second_manager = SupportManagerFactory()
    Case.objects.filter(pk=world.case.pk).update(assignee=second_manager)  # the assignee manages support too

    escalation_request(case=world.case, requested_by=world.customer, message="Payroll is stopped.", now=NOW)

    assert notices() == [(second_manager.username, Kind.ESCALATION_REQUESTED)]
    assert staff_emails() == sorted(
        [
            (second_manager.username, "agent_escalation_requested"),
            (world.manager.username, "escalation_review"),
        ]
    )


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [(CaseEvent.Type.SLA_WARNING, "sla_warning"), (CaseEvent.Type.SLA_BREACHED, "sla_breached")],
)
@pytest.mark.parametrize("assigned", [True, False], ids=["assigned", "unassigned"])
def test_sla_warnings_and_breaches_tell_the_cases_analyst_and_the_managers(event_type, kind, assigned):
    world = make_world(assigned=assigned)

    sla_event(
        world.case, event_type, NOW, "due soon", {"metric": "first_response", "due_at": NOW.isoformat()}
    )

    told = [world.assignee] if assigned else [world.assignee, world.available]
    assert notices() == sorted((user.username, kind) for user in told)
    assert staff_emails() == sorted(
        [(user.username, f"agent_{kind}") for user in told] + [(world.manager.username, kind)]
    )


def test_an_event_processed_again_writes_nothing_more():
    world = make_world()
    comment_create(case=world.case, author=world.customer, body="Hello", now=NOW)
    event = CaseEvent.objects.get(type=CaseEvent.Type.COMMENTED)
    rows = Notification.objects.count()

    case_event_notices_write(event=event)
    case_event_notices_write(event=event)

    assert AgentNotice.objects.count() == 1 and Notification.objects.count() == rows


@pytest.mark.parametrize(
    ("preference", "emails", "waiting"),
    [("immediate", ["agent_customer_reply"], False), ("digest", [], True), ("off", [], False)],
)
def test_the_email_follows_the_analysts_preference_and_the_inbox_line_is_always_written(
    preference, emails, waiting
):
    world = make_world()
    AnalystProfile.objects.filter(user=world.assignee).update(email_notices=preference)

    comment_create(case=world.case, author=world.customer, body="Hello", now=NOW)

    notice = AgentNotice.objects.get()
    assert (notice.recipient, notice.email_digest_pending) == (world.assignee, waiting)
    assert [kind for _, kind in staff_emails()] == emails


def test_staff_without_a_profile_are_mailed_at_once_in_english_and_utc():
    world = make_world()
    outsider = AnalystFactory()

    comment_create(
        case=world.case, author=world.assignee, body=f"@{outsider.username}?", is_internal=True, now=NOW
    )

    email = Notification.objects.get(recipient=outsider)
    assert (email.kind, email.language, email.time_zone) == ("agent_mentioned", "en", "UTC")


def test_every_notice_kind_has_its_email_in_every_language():
    # Its French and Spanish words: tests/core/test_translations.py.
    for kind in Kind.values:
        assert f"agent_{kind}" in MESSAGES, kind


# --- digests ----------------------------------------------------------------------------------


def digest_world(minutes: int = 15) -> World:
    world = make_world()
    analyst_notice_preferences_set(
        analyst=world.assignee,
        email_notices="digest",
        digest_minutes=minutes,
        time_zone="Europe/Paris",
        language="fr",
    )
    return world


def customer_comment(world: World, at: datetime, body: str = "Hello") -> None:
    comment_create(case=world.case, author=world.customer, body=body, now=at)


@pytest.mark.parametrize(
    ("now", "minutes", "end"),
    [
        (datetime(2026, 6, 1, 10, 14, 59, tzinfo=UTC), 15, datetime(2026, 6, 1, 10, 0, tzinfo=UTC)),
        (datetime(2026, 6, 1, 10, 15, tzinfo=UTC), 15, datetime(2026, 6, 1, 10, 15, tzinfo=UTC)),
        (datetime(2026, 6, 1, 10, 59, tzinfo=UTC), 30, datetime(2026, 6, 1, 10, 30, tzinfo=UTC)),
        (datetime(2026, 6, 1, 10, 59, tzinfo=UTC), 60, datetime(2026, 6, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_digest_windows_are_aligned_on_multiples_of_their_length(now, minutes, end):
    assert digest_window_end(now=now, minutes=minutes) == end


def test_a_digest_gathers_a_windows_unread_notices_into_one_email_once(mailoutbox):
    world = digest_world(minutes=15)
    customer_comment(world, datetime(2026, 6, 1, 8, 2, tzinfo=UTC), "First: the export stops.")
    customer_comment(world, datetime(2026, 6, 1, 8, 9, tzinfo=UTC), "Second: still stops.")
    customer_comment(world, datetime(2026, 6, 1, 8, 16, tzinfo=UTC), "Third: in the next window.")

    with time_machine.travel(datetime(2026, 6, 1, 8, 14, 59, tzinfo=UTC), tick=False):
        assert agent_notice_digests_write() == 0  # the 08:00–08:15 window is not over
    with time_machine.travel(datetime(2026, 6, 1, 8, 15, 30, tzinfo=UTC), tick=False):
        assert agent_notice_digests_write() == 1
        assert agent_notice_digests_write() == 0  # the same window again: nothing more
        notifications_deliver_due()

    digest = Notification.objects.get(kind="agent_digest")
    assert digest.idempotency_key == f"agent_digest:{world.assignee.pk}:20260601T0815"
    assert (digest.context["count"], digest.language, digest.time_zone) == (2, "fr", "Europe/Paris")
    assert list(AgentNotice.objects.filter(email_digest_pending=True).values_list("excerpt", flat=True)) == [
        "Third: in the next window."
    ]
    [message] = mailoutbox
    assert message.to == [world.assignee.email]
    assert message.subject == "2 nouveautés sur vos cas"
    customer = str(world.customer)
    # In French, in Paris time (08:02 UTC is 10:02 in June), newest items in the order they happened.
    assert (
        f"1 juin 2026 10:02 (Europe/Paris) : {customer} a répondu\nFirst: the export stops." in message.body
    )
    assert f"1 juin 2026 10:09 (Europe/Paris) : {customer} a répondu\nSecond: still stops." in message.body
    assert "Third" not in message.body and "2026-06-01" not in message.body


def test_notices_read_before_the_digest_are_left_out_and_a_window_of_read_ones_sends_nothing():
    world = digest_world(minutes=30)
    customer_comment(world, datetime(2026, 6, 1, 8, 2, tzinfo=UTC))
    agent_notices_mark_read(
        recipient=world.assignee, case=world.case, now=datetime(2026, 6, 1, 8, 5, tzinfo=UTC)
    )

    with time_machine.travel(datetime(2026, 6, 1, 8, 31, tzinfo=UTC), tick=False):
        assert agent_notice_digests_write() == 0

    assert not Notification.objects.filter(kind="agent_digest").exists()
    assert not AgentNotice.objects.filter(email_digest_pending=True).exists()  # settled, not re-read forever


def test_a_notice_late_for_its_windows_digest_waits_for_the_next_one():
    world = digest_world(minutes=15)
    customer_comment(world, datetime(2026, 6, 1, 8, 2, tzinfo=UTC), "On time")
    with time_machine.travel(datetime(2026, 6, 1, 8, 16, tzinfo=UTC), tick=False):
        assert agent_notice_digests_write() == 1
    customer_comment(world, datetime(2026, 6, 1, 8, 5, tzinfo=UTC), "Written late, dated early")

    with time_machine.travel(datetime(2026, 6, 1, 8, 17, tzinfo=UTC), tick=False):
        assert agent_notice_digests_write() == 0  # the 08:15 digest exists: it waits
    assert AgentNotice.objects.filter(email_digest_pending=True).count() == 1
    with time_machine.travel(datetime(2026, 6, 1, 8, 30, tzinfo=UTC), tick=False):
        assert agent_notice_digests_write() == 1

    digests = Notification.objects.filter(kind="agent_digest").order_by("created_at")
    assert [d.context["items"][0]["message"] for d in digests] == ["On time", "Written late, dated early"]


def test_each_analyst_gets_their_own_digest_by_their_own_window():
    world = digest_world(minutes=60)
    other = world.available
    analyst_notice_preferences_set(
        analyst=other, email_notices="digest", digest_minutes=15, time_zone="UTC", language="en"
    )
    customer_comment(world, datetime(2026, 6, 1, 8, 2, tzinfo=UTC))
    comment_create(
        case=world.case,
        author=world.assignee,
        body=f"@{other.username} look",
        is_internal=True,
        now=datetime(2026, 6, 1, 8, 3, tzinfo=UTC),
    )

    with time_machine.travel(datetime(2026, 6, 1, 8, 20, tzinfo=UTC), tick=False):
        assert agent_notice_digests_write() == 1  # the 15-minute one only
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=UTC), tick=False):
        assert agent_notice_digests_write() == 1

    assert sorted(
        Notification.objects.filter(kind="agent_digest").values_list("recipient__username", "idempotency_key")
    ) == sorted(
        [
            (other.username, f"agent_digest:{other.pk}:20260601T0815"),
            (world.assignee.username, f"agent_digest:{world.assignee.pk}:20260601T0900"),
        ]
    )


# --- preferences ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"email_notices": "weekly"}, "invalid_email_notices"),
        ({"digest_minutes": 7}, "invalid_digest_minutes"),
        ({"time_zone": "Mars/Olympus"}, "invalid_time_zone"),
        ({"language": "de"}, "invalid_language"),
    ],
)
def test_notice_preferences_refuse_unknown_values(fields, code):
    analyst = AnalystFactory()
    wanted = {
        "email_notices": "digest",
        "digest_minutes": 30,
        "time_zone": "Europe/Madrid",
        "language": "es",
        **fields,
    }

    with pytest.raises(ValidationFailed) as refused:
        analyst_notice_preferences_set(analyst=analyst, **wanted)

    assert refused.value.code == code
    assert not AnalystProfile.objects.filter(user=analyst).exists()


def test_notice_preferences_are_staffs_own_and_save_only_changes(django_assert_num_queries):
    analyst = AnalystFactory()
    with pytest.raises(ValidationFailed) as refused:
        analyst_notice_preferences_set(
            analyst=member(CompanyFactory()),
            email_notices="off",
            digest_minutes=30,
            time_zone="UTC",
            language="en",
        )
    assert refused.value.code == "analyst_not_staff"

    analyst_notice_preferences_set(
        analyst=analyst, email_notices="digest", digest_minutes=60, time_zone="Europe/Madrid", language="es"
    )
    profile = AnalystProfile.objects.get(user=analyst)
    analyst.refresh_from_db()
    assert (profile.email_notices, profile.digest_minutes, profile.time_zone, analyst.language) == (
        "digest",
        60,
        "Europe/Madrid",
        "es",
    )
    with django_assert_num_queries(3):  # [SAVEPOINT] the profile locked; nothing written [RELEASE]
        analyst_notice_preferences_set(
            analyst=analyst,
            email_notices="digest",
            digest_minutes=60,
            time_zone="Europe/Madrid",
            language="es",
        )


@pytest.mark.parametrize(
    ("assigned", "queries"), [(True, 11), (False, 7)], ids=["assigned", "nobody to tell"]
)
def test_what_an_agent_notice_costs_a_customer_comment(assigned, queries, django_assert_num_queries):
    world = make_world(assigned=assigned)
    if not assigned:
        Case.objects.filter(pk=world.case.pk).update(queue=None)
    comment_create(case=world.case, author=world.customer, body="warm-up", now=NOW)  # per-process caches

    # [SAVEPOINT] the case locked, the comment, the event, webhooks, the activity stamp [RELEASE]; for
    # an assigned case four more: the analyst with their profile, the comment's body, the inbox line,
    # and the e-mail (one INSERT … ON CONFLICT DO NOTHING: a repeat's key is skipped, the transaction goes on).
    with django_assert_num_queries(queries):
        comment_create(
            case=world.case, author=world.customer, body="Another log", now=NOW + timedelta(minutes=1)
        )
