"""insert_from_select: one row per source row, written by the database, with Model()'s defaults."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import F

from cases.models import Case, CaseEvent, SatisfactionSurvey
from core.bulk import MissingColumnError, RandomToken, insert_from_select
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


def test_one_row_per_source_row_with_the_defaults_model_would_give():
    cases = CaseFactory.create_batch(3)

    ids = insert_from_select(
        CaseEvent,
        Case.objects.filter(pk__in=[c.pk for c in cases[:2]]),
        {"case": F("pk"), "type": CaseEvent.Type.COMMENTED, "created_at": AT},
    )

    events = CaseEvent.objects.filter(pk__in=ids).order_by("case_id")
    assert len(ids) == 2 and [e.case_id for e in events] == sorted(c.pk for c in cases[:2])
    assert [(e.data, e.is_internal, e.note, e.actor_id, e.created_at) for e in events] == [
        ({}, False, "", None, AT)
    ] * 2


def test_random_tokens_differ_per_row():
    cases = CaseFactory.create_batch(5)

    ids = insert_from_select(
        SatisfactionSurvey,
        Case.objects.filter(pk__in=[c.pk for c in cases]),
        {"case": F("pk"), "respondent": F("opened_by"), "token": RandomToken(), "created_at": AT},
    )

    tokens = list(SatisfactionSurvey.objects.filter(pk__in=ids).values_list("token", flat=True))
    length = 64 if connection.vendor == "postgresql" else 48
    assert len(set(tokens)) == 5 and all(re.fullmatch(f"[0-9a-f]{{{length}}}", t) for t in tokens)


@pytest.mark.parametrize(
    ("values", "error"),
    [
        # a random default evaluated once would give every row the same token
        ({"case": F("pk"), "respondent": F("opened_by"), "created_at": AT}, MissingColumnError),
        ({"case": F("pk"), "respondent": F("opened_by"), "token": RandomToken()}, MissingColumnError),
        (
            {"case": F("pk"), "respondent": F("opened_by"), "token": "x", "created_at": AT, "nope": 1},
            TypeError,
        ),
    ],
    ids=["callable default", "required column", "unknown field"],
)
def test_a_missing_or_unknown_column_is_refused_before_any_sql(values, error, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(error):
        insert_from_select(SatisfactionSurvey, Case.objects.all(), values)
