"""Who hears about a case event on the customer side, and what they read: e-mails to the case's
opener, its contact and its entitled followers, the satisfaction survey when it closes, and the
webhooks of the company's endpoints (payloads: ``cases.webhook_events``). Written to the outbox in
the event's transaction (``case_event_notices_write``), or in a few INSERT … SELECT for a batch of
automatic closings; the staff side is ``cases.notices.agents``."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import CharField, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject, NullIf, Substr, Trim

from accounts.models import Company, User
from accounts.notices import person_email, person_language
from cases.models import Case, CaseEvent, CaseFollower, CaseStatus, Comment, SatisfactionSurvey
from cases.selectors import case_follower_entitled, case_followers_to_notify
from cases.webhook_events import case_event_payload
from core.bulk import JSONBool, RandomToken, insert_from_select
from notifications.messages import DECISIONS, TEMPLATE_FIELDS, in_language
from notifications.models import Notification, WebhookEndpoint
from notifications.outbox import outbox_publish, outbox_webhook_rows, outbox_write, webhooks_active_by_company

# The clock the first-response promise of a new case is read from (sla.models.Metric.FIRST_RESPONSE).
FIRST_RESPONSE = "first_response"


def _contacts_of(case: Case) -> list[User]:
    """Who a case is about on the customer side: its opener and, for partners, the client contact
    it was opened for."""
    return [case.opened_by] + ([case.on_behalf_of] if case.on_behalf_of else [])


def _customers_of(case: Case, *, with_followers: bool = True) -> list[User]:
    """The people entitled to follow the case from the customer side: its opener and contact, and
    the followers still entitled to it (one query; ``with_followers=False`` for a case being opened,
    which nobody can follow yet), each once. Never anyone of another company."""
    people = _contacts_of(case) + (case_followers_to_notify(case=case) if with_followers else [])
    return [person for person in dict.fromkeys(people) if person.is_active and not person.is_staff]


def _instant(at: datetime | None) -> str:
    """An instant in a notice's context: ISO 8601 (JSON), shown in the reader's language and time
    zone when the e-mail is rendered (``notifications.formatting.local_datetime``)."""
    return at.isoformat() if at is not None else ""


# The case's own part of every notice's context: key → the case field it shows. Read from the objects
# for one event (_case_context), selected in SQL for a batch of events (_event_context_sql).
_CASE_FIELDS = {"case_id": "id", "case_number": "number", "case_subject": "subject", "priority": "priority"}


def _case_url_prefix() -> str:
    return f"{settings.PUBLIC_BASE_URL}/api/v1/cases/"


def _case_context(case: Case, event: CaseEvent | None = None) -> dict[str, Any]:
    return {
        **{key: getattr(case, field) for key, field in _CASE_FIELDS.items()},
        "company": case.company.name,
        "case_url": f"{_case_url_prefix()}{case.pk}/",
        "message": event.note if event else "",
    }


def _event_context_sql() -> dict[str, Any]:
    """``_case_context(event.case, event)`` as SQL expressions over a CaseEvent queryset."""
    return {
        **{key: F(f"case__{field}") for key, field in _CASE_FIELDS.items()},
        "company": F("case__company__name"),
        "case_url": Concat(Value(_case_url_prefix()), F("case_id"), Value("/"), output_field=CharField()),
        "message": F("note"),
    }


def _email(
    *,
    key: str,
    kind: str,
    recipient: User,
    company: Company,
    case: Case,
    context: dict[str, Any],
    now: datetime,
) -> Notification:
    return person_email(
        key=key, kind=kind, recipient=recipient, company=company, case_id=case.pk, context=context, now=now
    )


_CUSTOMER_KINDS_BY_STATUS = {
    CaseStatus.PENDING_CUSTOMER: "pending_customer",
    CaseStatus.VERIFY_RESOLUTION: "verify_resolution",
}


# What the notices read of a case beside its own columns. Services that lock a case before writing
# an event load these with it, so the notices need not read the case again.
NOTICE_RELATED = ("company", "opened_by", "on_behalf_of", "assignee")


def case_for_notices(event: CaseEvent, case: Case | None) -> Case:
    """The caller's case when it holds every relation the notices read, else the case read anew."""
    if case is not None and case.pk == event.case_id:
        fields = [Case._meta.get_field(name) for name in NOTICE_RELATED]
        if all(field.is_cached(case) or getattr(case, field.attname) is None for field in fields):  # type: ignore[union-attr]
            return case
    return Case.objects.select_related(*NOTICE_RELATED).get(pk=event.case_id)


def notifications_for_case_event(*, event: CaseEvent, case: Case | None = None) -> list[Notification]:
    """Write the outbox rows a case event calls for on the customer side (e-mails to the opener,
    contact and followers; webhooks), in the caller's transaction. Staff notices are
    ``cases.notices``'s. ``case``: the event's case as the caller holds it (current within the
    transaction), if it has it.

    One e-mail per recipient per thing that happened: a comment written as part of another move
    (a transition's message, an escalation request: ``data["within"]``) is told by that move's own
    notice, which carries its text."""
    case = case_for_notices(event, case)
    now = event.created_at
    key = f"case_event:{event.pk}"
    context = _case_context(case, event)
    Type = CaseEvent.Type
    rows: list[Notification] = []
    closed: list[int] = []  # rows the "closed" notice wrote in SQL (_closed_notices_write)

    # Read when an event mails the customer side, not for internal notes, SLA notices or the
    # customer's own comments; a case being opened has no followers yet.
    @functools.cache
    def customers() -> list[User]:
        return _customers_of(case, with_followers=event.type != Type.CREATED)

    def to_customers(kind: str, people: list[User] | None = None, **extra: Any) -> None:
        rows.extend(
            _email(
                key=key,
                kind=kind,
                recipient=u,
                company=case.company,
                case=case,
                context={**context, **extra},
                now=now,
            )
            for u in (customers() if people is None else people)
            if u.email
        )

    if event.type == Type.CREATED:
        due = case.sla_timers.filter(metric=FIRST_RESPONSE).values_list("due_at", flat=True).first()
        first_response_due = _instant(due)
        missing = event.data.get("missing_fields") or []  # a case opened by e-mail: ask for them
        for user in customers() if missing else []:
            language = person_language(user, case.company)
            labels = [in_language(TEMPLATE_FIELDS[name], language) for name in missing]
            to_customers("case_created", [user], first_response_due=first_response_due, missing_fields=labels)
        if not missing:
            to_customers("case_created", first_response_due=first_response_due)
    elif (
        event.type == Type.COMMENTED
        and not event.is_internal
        and not event.data.get("within")
        and event.actor is not None
        and event.actor.is_staff
    ):
        body = Comment.objects.filter(pk=event.data.get("comment_id")).values_list("body", flat=True).first()
        to_customers("support_reply", message=body or "")
    elif event.type == Type.TRANSITION and event.to_status in _CUSTOMER_KINDS_BY_STATUS:
        to_customers(
            _CUSTOMER_KINDS_BY_STATUS[CaseStatus(event.to_status)],
            auto_close_date=_instant(case.auto_close_at),
            message=event.note,
        )
    elif event.type == Type.AUTO_CLOSE_REMINDER:
        to_customers("auto_close_reminder", auto_close_date=_instant(case.auto_close_at))
    elif event.to_status == CaseStatus.CLOSED:
        closed = _closed_notices_write(
            case_ids=[case.pk],
            events=CaseEvent.objects.filter(pk=event.pk),
            at=now,
            automatic=event.type == Type.AUTO_CLOSED,
        )
    elif event.type == Type.REOPENED:
        to_customers("reopened")
    elif event.type == Type.ESCALATION_REQUESTED:
        to_customers("escalation_requested")
    elif event.type in (Type.ESCALATION_ACCEPTED, Type.ESCALATION_DECLINED):
        outcome = "accepted" if event.type == Type.ESCALATION_ACCEPTED else "declined"
        for user in customers():
            if user.email:
                decision = in_language(DECISIONS[outcome], person_language(user, case.company))
                rows.append(
                    _email(
                        key=key,
                        kind="escalation_decided",
                        recipient=user,
                        company=case.company,
                        case=case,
                        context={**context, "decision": decision},
                        now=now,
                    )
                )
    if not event.is_internal:
        rows.extend(_webhook_rows(case, event, key, now))
    written = outbox_write(rows)
    if not closed:
        return written
    outbox_publish(closed)
    return list(Notification.objects.filter(pk__any_of=closed).order_by("pk")) + written


# The survey page (cases/survey_pages.py); the e-mail adds ?rating=good or ?rating=bad to it.
_SURVEY_PATH = ("/surveys/", "/")


def _is_customer(user: str) -> dict[str, Any]:
    """``_customers_of``'s test of one person, as filters on the path ``user``."""
    return {f"{user}__is_active": True, f"{user}__is_staff": False}


def _customer_email_sql(user: str, *, kind: str, context: dict[str, Any], at: datetime) -> dict[str, Any]:
    """``_email(...)`` to a customer as SQL expressions over a CaseEvent queryset (``user``: the path
    from the event to the recipient). Same key, language and context as the one-event path."""
    name = Trim(Concat(F(f"{user}__first_name"), Value(" "), F(f"{user}__last_name")))
    return {
        "idempotency_key": Concat(
            Value("case_event:"),
            F("id"),
            Value(f":{kind}:email:"),
            F(f"{user}__id"),
            output_field=CharField(),
        ),
        "kind": kind,
        "channel": Notification.Channel.EMAIL,
        "recipient": F(user),
        "to_address": F(f"{user}__email"),
        "case": F("case"),
        "language": Coalesce(
            NullIf(F(f"{user}__language"), Value("")),
            NullIf(F("case__company__language"), Value("")),
            Value("en"),
        ),
        "time_zone": F("case__company__time_zone"),
        "context": JSONObject(**context, name=Coalesce(NullIf(name, Value("")), F(f"{user}__username"))),
        # Same shape as new_message_id(): 32 random hex digits (a longer id gets its header folded).
        "message_id": Concat(
            Value("<"),
            Substr(RandomToken(), 1, 32),
            Value(f".outbox@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"),
            output_field=CharField(),
        ),
        "next_attempt_at": at,
        "created_at": at,
    }


def notifications_for_auto_closed(*, case_ids: list[int], at: datetime) -> list[int]:
    """The notices of an auto-close batch (the AUTO_CLOSED events written ``at``): the "closed"
    notice (``_closed_notices_write``, as for one event) and the webhooks, with one delivery message
    for the batch. Same rows, keys and texts as ``notifications_for_case_event`` writes for one
    event (tested side by side)."""
    if not case_ids:
        return []
    events = CaseEvent.objects.filter(
        case_id__any_of=case_ids, type=CaseEvent.Type.AUTO_CLOSED, created_at=at
    )
    ids = _closed_notices_write(case_ids=case_ids, events=events, at=at, automatic=True)
    ids += _webhook_rows_for_batch(events)
    outbox_publish(ids)  # one message for the batch: the worker splits it into chunks
    return ids


def _closed_notices_write(
    *, case_ids: list[int], events: QuerySet[CaseEvent], at: datetime, automatic: bool
) -> list[int]:
    """The one writer of the "case closed" notice, for one closing or a batch (``events``: the
    closings of ``case_ids`` written ``at``), in a few INSERT … SELECT: the opener's satisfaction
    survey, and the e-mail to opener, contact and entitled followers. Answers the rows' ids (not yet
    published). Written once: a closing processed again writes nothing."""
    if Notification.objects.filter(case_id__any_of=case_ids, kind="case_closed", created_at=at).exists():
        return []
    insert_from_select(
        SatisfactionSurvey,
        Case.objects.filter(pk__any_of=case_ids, **_is_customer("opened_by")).exclude(surveys__created_at=at),
        {"case": F("pk"), "respondent": F("opened_by"), "token": RandomToken(), "created_at": at},
    )
    survey_url = Subquery(
        SatisfactionSurvey.objects.filter(case=OuterRef("case_id"), created_at=at).values(
            url=Concat(Value(settings.PUBLIC_BASE_URL + _SURVEY_PATH[0]), F("token"), Value(_SURVEY_PATH[1]))
        )[:1]
    )
    closed = {**_event_context_sql(), "automatic": JSONBool(automatic)}
    with_survey = {**closed, "survey_url": Coalesce(survey_url, Value(""))}
    to_opener = events.filter(**_is_customer("case__opened_by")).exclude(case__opened_by__email="")
    to_contact = (
        events.filter(**_is_customer("case__on_behalf_of"))
        .exclude(case__on_behalf_of__email="")
        .exclude(case__on_behalf_of=F("case__opened_by"))
    )
    # The survey asks the opener, and an answer replaces the last one: followers get no link.
    followers = CaseFollower.objects.filter(case_follower_entitled(), case_id__any_of=case_ids).exclude(
        user__email=""
    )
    to_followers = events.filter(case__followers__in=followers.values("pk"))
    groups = [(to_opener, "case__opened_by", with_survey)]
    # Skip the statements a batch has no rows for: the check is far cheaper than an empty INSERT … SELECT.
    if Case.objects.filter(pk__any_of=case_ids, on_behalf_of__isnull=False).exists():
        groups.append((to_contact, "case__on_behalf_of", with_survey))
    if CaseFollower.objects.filter(case_id__any_of=case_ids).exists():
        # Typed: with server-side binding PostgreSQL cannot infer a bare string parameter's type here.
        no_survey = Cast(Value(""), output_field=CharField())
        groups.append((to_followers, "case__followers__user", {**closed, "survey_url": no_survey}))
    ids: list[int] = []
    for recipients, user, context in groups:
        ids += insert_from_select(
            Notification, recipients, _customer_email_sql(user, kind="case_closed", context=context, at=at)
        )
    return ids


def _webhook_rows_for_batch(events: QuerySet[CaseEvent]) -> list[int]:
    """The webhook rows of a batch of events, built one by one but only for the companies that
    have endpoints (few, and the endpoint table is small): the common batch costs one query here."""
    endpoints = webhooks_active_by_company()
    if not endpoints:
        return []
    rows: list[Notification] = []
    for event in events.filter(case__company_id__in=endpoints).select_related("case"):
        rows += _webhook_rows(
            event.case, event, f"case_event:{event.pk}", event.created_at, endpoints[event.case.company_id]
        )
    return [row.pk for row in Notification.objects.bulk_create(rows)]


def _webhook_rows(
    case: Case, event: CaseEvent, key: str, now: datetime, endpoints: list[WebhookEndpoint] | None = None
) -> list[Notification]:
    return outbox_webhook_rows(
        key=key,
        company_id=case.company_id,
        event_type=event.type,
        payload=dict(case_event_payload(case=case, event=event)),
        now=now,
        case_id=case.pk,
        endpoints=endpoints,
    )
