"""What each notification says. Headlines and bodies are Django template strings (with
``notifications.formatting``'s filters: instants are ISO strings shown with ``|local_datetime`` in the
reader's language and time zone); ``notifications/rendering.py`` makes the subject (a case's e-mails
share ``[<number>] <case subject>``) and ``notifications/templates/notifications/email.{txt,html}`` lay
them out. Customers read theirs in their language or their company's (en, fr, es); staff in theirs
(``User.language``, default en).

The words are gettext messages: English here, French and Spanish in
``locale/<language>/LC_MESSAGES/django.po`` (``make messages`` collects them; README: Languages). They
are lazy: read them in a language with ``in_language`` (rendering does, under
``translation.override``). Short words that could mean other things elsewhere carry a context
(``pgettext_lazy``).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

LANGUAGES = ("en", "fr", "es")


def in_language(text: str | Promise, language: str) -> str:
    """``text`` (a lazy gettext message) as ``language`` reads it; English for a language we do not speak."""
    with translation.override(language if language in LANGUAGES else "en"):
        return str(text)


def texts_in(texts: Mapping[str, str | Promise], language: str) -> dict[str, str]:
    """Each of ``texts`` as ``language`` reads it."""
    return {key: in_language(text, language) for key, text in texts.items()}


# kind → (headline, body). The body is plain text; paragraphs are separated by blank lines.
MESSAGES: dict[str, tuple[Promise, Promise]] = {
    "case_created": (
        _("We received your case: {{ case_subject }}"),
        _(
            "Hello {{ name }},\n\n"
            "We received your case {{ case_number }} (priority {{ priority }}).\n\n"
            "{% if first_response_due %}You will hear from us by "
            "{{ first_response_due|local_datetime }}.{% else %}Service-level targets apply to "
            "production instances only.{% endif %}{% if missing_fields %}\n\n"
            "To help us work on it sooner, reply to this e-mail with: {{ missing_fields|join:'; ' }}."
            "{% endif %}"
        ),
    ),
    "support_reply": (
        _("New reply from support"),
        _("Hello {{ name }},\n\n{{ message }}"),
    ),
    "pending_customer": (
        _("We need something from you"),
        _(
            "Hello {{ name }},\n\n"
            "We have paused work on {{ case_number }} until you can help:\n\n"
            "{{ message }}\n\n"
            "Reply to this e-mail or comment on the case."
        ),
    ),
    "verify_resolution": (
        _("Please verify the resolution"),
        _(
            "Hello {{ name }},\n\n"
            "{{ message }}\n\n"
            "If the fix does not work, or you need more, answer before "
            "{{ auto_close_date|local_datetime }}; otherwise the case closes automatically."
        ),
    ),
    "auto_close_reminder": (
        _("Closing automatically on {{ auto_close_date|local_datetime }}"),
        _(
            "Hello {{ name }},\n\n"
            "We have not heard back about the resolution of {{ case_number }}. It will close "
            "automatically on {{ auto_close_date|local_datetime }} unless you answer."
        ),
    ),
    "case_closed": (
        _("Your case is closed"),
        _(
            "Hello {{ name }},\n\n"
            "{{ case_number }} is closed{% if automatic %} automatically, 9 days after we proposed a "
            "resolution{% endif %}. You can reopen it within 3 days.\n\n"
            "{% if survey_url %}How did we do? Good: {{ survey_url }}?rating=good\nNot good: "
            "{{ survey_url }}?rating=bad{% endif %}"
        ),
    ),
    "reopened": (
        _("Case reopened"),
        _("Hello {{ name }},\n\n{{ case_number }} is open again."),
    ),
    "escalation_requested": (
        _("Escalation requested"),
        _(
            "Hello {{ name }},\n\n"
            "We received your escalation request for {{ case_number }}; a support manager will review "
            "it and your analyst will contact you if more is needed."
        ),
    ),
    "escalation_decided": (
        _("Escalation {{ decision }}"),
        _(
            "Hello {{ name }},\n\n"
            "Your escalation request for {{ case_number }} was {{ decision }}.\n\n"
            "{{ message }}"
        ),
    ),
    "authorization_request_raised": (
        _("Authorisation request received: {{ request_kind }}"),
        _(
            "Hello {{ name }},\n\n"
            "We recorded a request ({{ request_kind }}) for {{ subject_user }}. A manager of "
            "{{ company }} must approve it.{% if for_manager %} Reply APPROVE or REJECT to this "
            "e-mail, or use the API.{% endif %}"
        ),
    ),
    "authorization_request_decided": (
        _("Authorisation request {{ decision }}: {{ request_kind }}"),
        _("Hello {{ name }},\n\nThe request ({{ request_kind }}) for {{ subject_user }} was {{ decision }}."),
    ),
    "password_reset": (
        _("Casedesk: your password reset was authorised"),
        _(
            "Hello {{ name }},\n\n"
            "Your company authorised a password reset for your account.\n\n"
            "POST {uid, token, new_password} with uid={{ uid }} and token={{ token }} to "
            "{{ confirm_url }}\n\n"
            "The link works once and expires after a few days."
        ),
    ),
    "status_maintenance": (
        _("Scheduled maintenance: {{ product }}"),
        _(
            "Hello {{ name }},\n\n"
            "{{ title }}: {{ schedule }}.\n\n"
            "{{ message }}\n\n"
            "The system may be offline then."
        ),
    ),
    "status_incident": (
        _("{{ product }}: {{ title }} ({{ incident_status }})"),
        _("Hello {{ name }},\n\n{{ product }} — {{ title }}: {{ incident_status }}.\n\n{{ message }}"),
    ),
    # Automatic answers to mail sent to the support address that opened nothing (sent with
    # Auto-Submitted: auto-replied, at most once a day per address).
    "inbound_no_access": (
        _("We could not open a case from your e-mail"),
        _(
            "Hello,\n\n"
            "Thank you for writing to support. We could not open a case from your e-mail"
            "{% if subject %} \"{{ subject }}\"{% endif %}: {% if reason == 'dsu_required' %}in the "
            "United States only a designated support user may contact support."
            "{% elif reason == 'membership_inactive' %}your account is not active (it is waiting for "
            "validation, or disabled).{% elif reason == 'partner_not_serving_company' %}your "
            "establishment does not serve that company.{% else %}this address does not belong to a "
            "user of a company we support.{% endif %}\n\n"
            "How to get access: {% if managers %}these managers of your company can authorise you: "
            "{{ managers }}.{% else %}ask an administrator of your company (or your implementation "
            "partner) to give you access.{% endif %} Then write to us again, or open the case through "
            "the API.\n\n"
            "We answer such e-mails at most once a day per address."
        ),
    ),
    "inbound_case_details_needed": (
        _("One more detail to open your case"),
        _(
            "Hello {{ name }},\n\n"
            'Your e-mail{% if subject %} "{{ subject }}"{% endif %} did not say which '
            "{% if reason == 'company_unclear' %}client company{% else %}product{% endif %} it is "
            'about, so no case was opened. Write again with a line such as "'
            "{% if reason == 'company_unclear' %}Company{% else %}Product{% endif %}: {{ example }}\" "
            "(one of: {{ options }})."
        ),
    ),
    # Staff notices: support managers (SLA, escalations to review) and the analysts a case event
    # concerns (cases/notices.py: "agent_*", each also a line of their admin inbox).
    "sla_warning": (
        _("{{ metric_label|capfirst }} due {{ due_at|local_datetime }}"),
        _(
            "{{ case_number }} ({{ priority }}, {{ company }}): the {{ metric_label }} target is due "
            "{{ due_at|local_datetime }}."
        ),
    ),
    "sla_breached": (
        _("{{ metric_label|capfirst }} target missed"),
        _(
            "{{ case_number }} ({{ priority }}, {{ company }}): the {{ metric_label }} target was due "
            "{{ due_at|local_datetime }}."
        ),
    ),
    "escalation_review": (
        _("Escalation to review"),
        _("{{ company }} asks to escalate {{ case_number }} ({{ at|local_datetime }}):\n\n{{ message }}"),
    ),
    "agent_customer_reply": (
        _("{{ actor }} replied"),
        _(
            "{{ actor }} ({{ company }}) wrote on {{ case_number }}, {{ at|local_datetime }}:\n\n"
            "{{ message }}"
        ),
    ),
    "agent_customer_attachment": (
        _("{{ actor }} added {{ filename }}"),
        _("{{ actor }} ({{ company }}) added {{ filename }} to {{ case_number }}, {{ at|local_datetime }}."),
    ),
    "agent_resolution_rejected": (
        _("{{ actor }} says the resolution does not work"),
        _(
            "{{ actor }} ({{ company }}) rejected the proposed resolution of {{ case_number }}, "
            "{{ at|local_datetime }}; the case is back with support:\n\n"
            "{{ message }}"
        ),
    ),
    "agent_reopened": (
        _("{{ actor }} reopened the case"),
        _(
            "{{ actor }} reopened {{ case_number }} ({{ company }}), {{ at|local_datetime }}."
            "{% if message %}\n\n"
            "{{ message }}{% endif %}"
        ),
    ),
    "agent_escalation_requested": (
        _("{{ actor }} asks for an escalation"),
        _(
            "{{ actor }} ({{ company }}) asked to escalate {{ case_number }}, "
            "{{ at|local_datetime }}:\n\n"
            "{{ message }}"
        ),
    ),
    "agent_assigned": (
        _("Assigned to you"),
        _(
            "{% if actor %}{{ actor }} assigned{% else %}Routing assigned{% endif %} {{ case_number }} "
            "({{ priority }}, {{ company }}) to you, {{ at|local_datetime }}."
        ),
    ),
    "agent_mentioned": (
        _("{{ actor }} mentioned you"),
        _(
            "{{ actor }} mentioned you in an internal note on {{ case_number }} ({{ company }}), "
            "{{ at|local_datetime }}:\n\n"
            "{{ message }}"
        ),
    ),
    # Many notices in one e-mail, each item's headline written in the reader's language beforehand.
    "agent_digest": (
        _("{{ count }} update{{ count|pluralize }} on your cases"),
        _(
            "{% for item in items %}{{ item.case_number }} · {{ item.case_subject }}\n"
            "{{ item.at|local_datetime }}: {{ item.headline }}{% if item.message %}\n{{ item.message }}"
            "{% endif %}\n{{ item.case_url }}\n\n"
            "{% endfor %}"
        ),
    ),
}

# The analyst's own SLA notices read as the managers' do.
MESSAGES["agent_sla_warning"] = MESSAGES["sla_warning"]
MESSAGES["agent_sla_breached"] = MESSAGES["sla_breached"]


def message_templates(kind: str, language: str) -> tuple[str, str]:
    """The headline and body templates of ``kind`` as ``language`` reads them."""
    headline, body = MESSAGES[kind]
    return in_language(headline, language), in_language(body, language)


# The SLA metrics as staff read them.
METRIC_LABELS: dict[str, Promise] = {
    "first_response": pgettext_lazy("SLA metric", "first response"),
    "next_update": pgettext_lazy("SLA metric", "next update"),
    "resolution": pgettext_lazy("SLA metric", "resolution"),
}

# Automatic answers: sent with Auto-Submitted: auto-replied (RFC 3834), so that well-behaved
# autoresponders do not answer them.
AUTO_REPLY_KINDS = frozenset({"inbound_no_access", "inbound_case_details_needed"})

# The description template's fields (cases.models.DESCRIPTION_TEMPLATE_FIELDS) as a customer reads
# them: a case opened by e-mail lists the missing ones in its acknowledgement.
TEMPLATE_FIELDS: dict[str, Promise] = {
    "error_message": _("the exact error message"),
    "occurred_at": _("the date and time of the issue"),
    "users_affected": _("how many users are affected (who, where)"),
    "replication_steps": _("the steps to reproduce it"),
    "expected_result": _("the expected result (expected A, got B)"),
    "worked_before": _("whether it worked before (when, under what conditions)"),
    "troubleshooting_tried": _("the troubleshooting already tried"),
}

# An authorisation request's or escalation's outcome (feminine in French and Spanish: la demande).
DECISIONS: dict[str, Promise] = {
    "approved": pgettext_lazy("decision", "approved"),
    "rejected": pgettext_lazy("decision", "rejected"),
    "accepted": pgettext_lazy("decision", "accepted"),
    "declined": pgettext_lazy("decision", "declined"),
}

REQUEST_KINDS: dict[str, Promise] = {
    "new_dsu": pgettext_lazy("authorisation request", "new designated support user"),
    "role_change": pgettext_lazy("authorisation request", "permission change"),
    "password_reset": pgettext_lazy("authorisation request", "password reset"),
}

STAFF_FOOTER = _(
    "Casedesk support workspace. Answer in the admin (the link above): replies to this e-mail are not read."
)

FOOTER = _("Casedesk support. Reply to this e-mail to add a comment to the case.")

# The satisfaction survey: the two links in the "closed" e-mail, and the page they open. Opening a
# link only shows the page (mail scanners open links); the answer is recorded by its button (POST).
SURVEY_PAGE: dict[str, Promise] = {
    "title": pgettext_lazy("survey", "How did we do?"),
    "case": pgettext_lazy("survey", "Your case {number}: {subject}"),
    "good": pgettext_lazy("survey", "Good"),
    "bad": pgettext_lazy("survey", "Not good"),
    "comment": pgettext_lazy("survey", "Anything to add? (optional)"),
    "submit": pgettext_lazy("survey", "Send my answer"),
    "choose": pgettext_lazy("survey", "Choose an answer."),
    "thanks": pgettext_lazy("survey", "Thank you: your answer is recorded."),
    "answered": pgettext_lazy("survey", "Your answer: {rating}. You can change it below."),
    "not_found_title": pgettext_lazy("survey", "Survey not found"),
    "not_found": pgettext_lazy("survey", "This survey link is not valid."),
}
