"""An edit of a calendar (hours, holidays) applies to the timers running under it, and every timer
it moves gets an event on its case saying from what due instant to what, and why; stopped timers and
timers of other calendars are untouched. A policy edit leaves running timers as they are, and the
admin says so. Expected instants by hand (06:00–18:00 Mon–Fri, Europe/Paris; August 2026)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from cases.models import CaseEvent
from cases.services import case_transition, comment_create
from sla.models import Calendar, Holiday, Metric, SlaPolicy, SlaTimer
from sla.services import sla_calendar_changed, sla_timers_follow_calendars, sla_timers_sweep
from sla.tasks import sla_timers_sweep_task
from tests.factories import AnalystFactory, CompanyFactory, SupportManagerFactory
from tests.sla.test_timers import open_case, p2_target

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
FRIDAY_16 = datetime(2026, 8, 28, 16, 0, tzinfo=PARIS)
EDITED_AT = datetime(2026, 8, 28, 18, 30, tzinfo=PARIS)
COMPANY_DAY = date(2026, 8, 31)  # a Monday, an ordinary working day in France


@pytest.fixture(autouse=True)
def seeded_policy(db):
    call_command("bootstrap", verbosity=0)


@pytest.fixture
def business_hours():
    return Calendar.objects.get(kind=Calendar.Kind.BUSINESS_HOURS)


def timer(case, metric=Metric.FIRST_RESPONSE) -> SlaTimer:
    return SlaTimer.objects.get(case=case, metric=metric)


def calendar_events(case):
    return list(case.events.filter(type=CaseEvent.Type.SLA_RECOMPUTED).order_by("id"))


def add_company_day(calendar: Calendar) -> None:
    Holiday.objects.create(calendar=calendar, date=COMPANY_DAY, name="Company day")


def test_adding_a_holiday_moves_a_running_deadline_and_records_one_event(business_hours):
    running = open_case(at=FRIDAY_16, band=2, priority="P2")  # 4 h: 2 h Friday, 2 h Monday → 08:00
    assert timer(running).due_at == datetime(2026, 8, 31, 8, 0, tzinfo=PARIS)
    around_the_clock = open_case(at=FRIDAY_16, band=2, priority="P1")  # the 24×7 calendar
    untouched_due = timer(around_the_clock).due_at
    answered = open_case(at=FRIDAY_16, band=2, priority="P2")
    comment_create(
        case=answered, author=AnalystFactory(), body="On it.", now=FRIDAY_16 + timedelta(minutes=5)
    )
    met_before = timer(answered)
    assert met_before.state == "met"

    add_company_day(business_hours)
    result = sla_calendar_changed(calendar=business_hours, note="holiday 2026-08-31 added", now=EDITED_AT)

    # Monday is closed now: 2 h on Tuesday from 06:00.
    moved = timer(running)
    assert (moved.state, moved.due_at) == ("running", datetime(2026, 9, 1, 8, 0, tzinfo=PARIS))
    (event,) = calendar_events(running)
    assert (event.created_at, event.is_internal, event.actor) == (EDITED_AT, True, None)
    assert event.data == {
        "metric": "first_response",
        "cause": "calendar_edit",
        "calendar_id": business_hours.pk,
        "calendar": business_hours.name,
        "from_due_at": datetime(2026, 8, 31, 6, 0, tzinfo=UTC).isoformat(),
        "to_due_at": datetime(2026, 9, 1, 6, 0, tzinfo=UTC).isoformat(),
        # Time left when the timer was last computed (opening, Friday 16:00): the whole 4 h.
        "from_remaining_seconds": 4 * 3600,
        "to_remaining_seconds": 4 * 3600,
    }
    assert "2026-08-31 06:00 UTC → 2026-09-01 06:00 UTC" in event.note
    assert "holiday 2026-08-31 added" in event.note
    # A stopped timer (the answered case's first response) and the timers of another calendar are
    # untouched, with no event; the answered case's running next-update timer moved like any other.
    assert timer(answered).updated_at == met_before.updated_at
    assert [e.data["metric"] for e in calendar_events(answered)] == ["next_update"]
    assert timer(around_the_clock).due_at == untouched_due and not calendar_events(around_the_clock)
    assert (result.checked, result.moved, result.outdated) == (2, 2, False)
    business_hours.refresh_from_db()
    assert (business_hours.timers_outdated, business_hours.change_note) == (False, "holiday 2026-08-31 added")

    # Following again finds nothing to do and records nothing.
    assert sla_timers_follow_calendars(now=EDITED_AT + timedelta(minutes=1)).checked == 0
    assert len(calendar_events(running)) == 1


def test_a_holiday_in_the_time_already_counted_gives_a_paused_timer_its_time_back(business_hours):
    p2_target(Metric.RESOLUTION, 16 * 60)
    case = open_case(at=datetime(2026, 8, 27, 9, 0, tzinfo=PARIS), band=2, priority="P2")  # Thursday
    analyst = AnalystFactory()
    case = case_transition(
        case=case, actor=analyst, transition="start", now=datetime(2026, 8, 27, 9, 0, tzinfo=PARIS)
    ).case
    case = case_transition(
        case=case,
        actor=analyst,
        transition="request_customer_action",
        message="Logs, please.",
        now=datetime(2026, 8, 27, 13, 0, tzinfo=PARIS),
    ).case
    assert (timer(case, Metric.RESOLUTION).state, timer(case, Metric.RESOLUTION).remaining_seconds) == (
        "paused",
        12 * 3600,
    )

    Holiday.objects.create(calendar=business_hours, date=date(2026, 8, 27), name="Closed after all")
    sla_calendar_changed(calendar=business_hours, note="holiday 2026-08-27 added", now=EDITED_AT)

    paused = timer(case, Metric.RESOLUTION)
    assert (paused.state, paused.due_at, paused.remaining_seconds) == ("paused", None, 16 * 3600)
    (event,) = [e for e in calendar_events(case) if e.data["metric"] == "resolution"]
    assert (event.data["from_remaining_seconds"], event.data["to_remaining_seconds"]) == (
        12 * 3600,
        16 * 3600,
    )
    assert "paused, 12:00:00 left → paused, 16:00:00 left" in event.note


def test_a_large_edit_is_followed_in_bounded_batches(business_hours, django_capture_on_commit_callbacks):
    cases = [open_case(at=FRIDAY_16, band=2, priority="P2") for _ in range(3)]
    add_company_day(business_hours)

    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        first = sla_calendar_changed(
            calendar=business_hours, note="holiday added", now=EDITED_AT, batch_size=2
        )

    assert (first.checked, first.moved, first.outdated) == (2, 2, True)
    assert len(after_commit) == 1  # the follow-up message, which recomputed the third timer
    assert [len(calendar_events(case)) for case in cases] == [1, 1, 1]
    assert not Calendar.objects.get(pk=business_hours.pk).timers_outdated


def test_when_the_follow_up_message_is_lost_the_sla_sweep_finishes_the_edit(business_hours, time_machine):
    cases = [open_case(at=FRIDAY_16, band=2, priority="P2") for _ in range(3)]
    add_company_day(business_hours)
    first = sla_calendar_changed(calendar=business_hours, note="holiday added", now=EDITED_AT, batch_size=2)
    assert first.outdated and Calendar.objects.get(pk=business_hours.pk).timers_outdated

    time_machine.move_to(EDITED_AT + timedelta(minutes=1), tick=False)
    swept = sla_timers_sweep_task()  # after-commit callbacks never run here: the message is "lost"

    assert swept["calendar_moved"] == 1
    assert [len(calendar_events(case)) for case in cases] == [1, 1, 1]
    assert [timer(case).due_at for case in cases] == [datetime(2026, 9, 1, 8, 0, tzinfo=PARIS)] * 3
    assert not Calendar.objects.get(pk=business_hours.pk).timers_outdated


def test_an_edit_that_moves_nothing_records_nothing_even_for_a_breached_timer(business_hours):
    monday_9 = datetime(2026, 6, 1, 9, 0, tzinfo=PARIS)
    case = open_case(at=monday_9, band=3, priority="P2")  # 2 h: due 11:00, warned at 10:30
    # The warning recomputes the timer (15 min left); the breach only marks it, leaving that time left.
    assert sla_timers_sweep(now=datetime(2026, 6, 1, 10, 45, tzinfo=PARIS)) == {"warned": 1, "breached": 0}
    assert sla_timers_sweep(now=datetime(2026, 6, 1, 12, 0, tzinfo=PARIS)) == {"warned": 0, "breached": 1}
    assert timer(case).remaining_seconds == 15 * 60
    Holiday.objects.create(calendar=business_hours, date=date(2026, 12, 24), name="Christmas Eve")

    result = sla_calendar_changed(
        calendar=business_hours,
        note="holiday 2026-12-24 added",
        now=datetime(2026, 6, 1, 12, 5, tzinfo=PARIS),
    )

    assert (result.checked, result.moved) == (1, 0)
    assert not calendar_events(case)
    breached = timer(case)
    assert (breached.state, breached.due_at) == ("breached", datetime(2026, 6, 1, 11, 0, tzinfo=PARIS))


def test_a_status_change_after_an_edit_still_records_the_move(business_hours):
    case = open_case(at=FRIDAY_16, band=2, priority="P2")
    # An edit whose follow-up never ran (made behind the admin's back, or its message lost).
    add_company_day(business_hours)
    Calendar.objects.filter(pk=business_hours.pk).update(updated_at=EDITED_AT)

    comment_create(case=case, author=AnalystFactory(), body="Here is an answer.", now=EDITED_AT)

    (event,) = calendar_events(case)
    assert event.data["to_due_at"] == datetime(2026, 9, 1, 6, 0, tzinfo=UTC).isoformat()
    first = timer(case)
    assert (first.state, first.met_at) == ("met", EDITED_AT)  # answered in time, under either calendar


# --- through the admin ----------------------------------------------------------------------------


def _calendar_form(calendar: Calendar, *, holidays: list[tuple[str, str]]) -> dict[str, str]:
    intervals = list(calendar.intervals.all())
    data = {
        "name": calendar.name,
        "kind": calendar.kind,
        "time_zone": calendar.time_zone,
        "country": calendar.country,
        "public_holidays": "on" if calendar.public_holidays else "",
        "intervals-TOTAL_FORMS": str(len(intervals)),
        "intervals-INITIAL_FORMS": str(len(intervals)),
        "holidays-TOTAL_FORMS": str(len(holidays)),
        "holidays-INITIAL_FORMS": "0",
    }
    for index, interval in enumerate(intervals):
        data.update(
            {
                f"intervals-{index}-id": str(interval.pk),
                f"intervals-{index}-calendar": str(calendar.pk),
                f"intervals-{index}-weekday": str(interval.weekday),
                f"intervals-{index}-start": interval.start.strftime("%H:%M"),
                f"intervals-{index}-end": interval.end.strftime("%H:%M"),
            }
        )
    for index, (day, name) in enumerate(holidays):
        data.update(
            {f"holidays-{index}-date": day, f"holidays-{index}-name": name, f"holidays-{index}-country": ""}
        )
    return data


def test_adding_a_holiday_in_the_admin_moves_running_deadlines_with_events(
    client, business_hours, time_machine
):
    case = open_case(at=FRIDAY_16, band=2, priority="P2")
    time_machine.move_to(EDITED_AT, tick=False)
    manager = SupportManagerFactory(is_superuser=True)
    client.force_login(manager)

    response = client.post(
        f"/admin/sla/calendar/{business_hours.pk}/change/",
        _calendar_form(business_hours, holidays=[("2026-08-31", "Company day")]),
        follow=True,
    )

    assert response.status_code == 200
    assert "1 moved, each with an event on its case" in response.content.decode()
    assert timer(case).due_at == datetime(2026, 9, 1, 8, 0, tzinfo=PARIS)
    (event,) = calendar_events(case)
    assert (
        "Holiday 2026-08-31 Company day added" in event.note
        or "holiday 2026-08-31 Company day added" in event.note
    )
    assert str(manager) in event.note


def test_a_policy_edit_leaves_running_timers_and_says_so(client, time_machine):
    case = open_case(at=FRIDAY_16, band=2, priority="P2")
    due = timer(case).due_at
    policy = SlaPolicy.objects.get()
    target = policy.targets.get(sla_band=2, priority="P2", metric=Metric.FIRST_RESPONSE)
    client.force_login(SupportManagerFactory(is_superuser=True))
    targets = list(policy.targets.all())
    data = {
        "name": policy.name,
        "rank": str(policy.rank),
        "is_active": "on",
        "targets-TOTAL_FORMS": str(len(targets)),
        "targets-INITIAL_FORMS": str(len(targets)),
    }
    for index, row in enumerate(targets):
        data.update(
            {
                f"targets-{index}-id": str(row.pk),
                f"targets-{index}-policy": str(policy.pk),
                f"targets-{index}-sla_band": str(row.sla_band),
                f"targets-{index}-priority": row.priority,
                f"targets-{index}-metric": row.metric,
                f"targets-{index}-minutes": str(60 if row.pk == target.pk else row.minutes),
                f"targets-{index}-calendar": str(row.calendar_id),
            }
        )

    response = client.post(f"/admin/sla/slapolicy/{policy.pk}/change/", data, follow=True)

    assert response.status_code == 200
    assert "1 running SLA timers keep the targets they started with" in response.content.decode()
    target.refresh_from_db()
    assert target.minutes == 60
    assert timer(case).due_at == due and not calendar_events(case)
    # A new case gets the edited target: 1 h from Friday 16:00.
    assert timer(
        open_case(at=FRIDAY_16, band=2, priority="P2", company=CompanyFactory())
    ).due_at == FRIDAY_16 + timedelta(hours=1)
