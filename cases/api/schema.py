"""OpenAPI pieces of the cases API that are not serializers: shared parameters and the examples of
requests and answers, kept out of the views so that those read as what they do."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat-safe creation: the same key from the same user within 24 hours answers the first "
    "result (200) instead of creating another; the same key with a different body is 422 "
    "`idempotency_key_reused`. 1 to 200 printable ASCII characters, e.g. a UUID.",
)
IDEMPOTENCY_ERRORS = ("invalid_idempotency_key", "idempotency_key_reused")


# Opening a case (``cases_create``).
CASE_CREATE_EXAMPLES = [
    OpenApiExample(
        "A production outage",
        request_only=True,
        value={
            "product_instance": 1,
            "subject": "Journal posting fails with E1234",
            "problem_summary": "Posting any journal entry fails since 09:00.",
            "error_message": "E1234: ledger locked by another session",
            "occurred_at": "2026-06-01T09:05:00Z",
            "users_affected": "All 40 accountants, Paris office",
            "replication_steps": "1. Open General Ledger 2. Post any entry",
            "expected_result": "Expected the entry to post; got E1234.",
            "worked_before": "Yes, until yesterday's release.",
            "troubleshooting_tried": "Logged out and in; cleared the browser cache.",
            "reason": "system-issue",
            "application_area": "general-ledger",
            "business_impact_scope": "organisation",
            "business_impact": "high",
        },
    ),
    OpenApiExample(
        "A follow-up of a case closed more than 3 days ago",
        request_only=True,
        value={
            "follow_up_of": 42,
            "subject": "E1234 is back",
            "problem_summary": "The fix from CS-000042 no longer holds.",
            "reason": "system-issue",
            "application_area": "general-ledger",
            "business_impact_scope": "group",
            "business_impact": "medium",
        },
    ),
]

# Moving a case (``cases_transition``).
CASE_TRANSITION_EXAMPLES = [
    OpenApiExample("Take an open case", request_only=True, value={"transition": "start"}),
    OpenApiExample(
        "Ask the customer for something",
        request_only=True,
        value={
            "transition": "request_customer_action",
            "message": "Please attach the issue-recorder zip.",
        },
    ),
    OpenApiExample(
        "Wait for a release",
        request_only=True,
        value={"transition": "await_release", "tentative_release_date": "2026-07-15"},
    ),
    OpenApiExample(
        "Confirm the fix (customer)", request_only=True, value={"transition": "confirm_resolution"}
    ),
]

# Following a case (``cases_follow``).
CASE_FOLLOW_EXAMPLES = [
    OpenApiExample(
        "Following",
        response_only=True,
        status_codes=["201", "200"],
        value={"case": 42, "following": True, "since": "2026-06-01T09:05:00Z"},
    ),
]
