"""Public holidays by subdivision: a company's ISO 3166-2 region (``Company.subdivision``) adds its
own holidays to its country's. Real dates: England's Late Summer bank holiday is Monday 31 August
2026, Scotland's Summer bank holiday Monday 3 August 2026; neither is the other's."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts.models import Company, PlanTier
from sla.models import Calendar, Metric, SlaTimer
from sla.selectors import calendar_for_company
from tests.factories import CompanyFactory
from tests.sla.test_timers import open_case

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
ENGLISH_LATE_SUMMER = date(2026, 8, 31)
SCOTTISH_SUMMER = date(2026, 8, 3)


@pytest.fixture(autouse=True)
def seeded_policy(db):
    call_command("bootstrap", verbosity=0)  # the business-hours calendar and the standard policy


def uk_company(subdivision: str) -> Company:
    return CompanyFactory(
        country="GB",
        subdivision=subdivision,
        time_zone="Europe/London",
        language="en",
        plan_tier=PlanTier.SILVER,
    )


def closed_days(company: Company) -> frozenset[date]:
    calendar = Calendar.objects.get(kind=Calendar.Kind.BUSINESS_HOURS)
    return calendar_for_company(
        calendar=calendar, company=company, at=datetime(2026, 8, 1, tzinfo=UTC)
    ).holidays


def test_english_and_scottish_bank_holidays_belong_to_their_own_region():
    england, scotland, nationwide = uk_company("GB-ENG"), uk_company("GB-SCT"), uk_company("")

    assert ENGLISH_LATE_SUMMER in closed_days(england)
    assert ENGLISH_LATE_SUMMER not in closed_days(scotland)
    assert SCOTTISH_SUMMER in closed_days(scotland)
    assert SCOTTISH_SUMMER not in closed_days(england)
    # Without a subdivision only the holidays every part of the country shares count.
    assert not {ENGLISH_LATE_SUMMER, SCOTTISH_SUMMER} & closed_days(nationwide)
    assert date(2026, 12, 25) in closed_days(nationwide)


@pytest.mark.parametrize(
    ("subdivision", "due_local"),
    [
        # Friday 28 August 17:00 + 4 business hours: 1 h Friday, then Monday 31 August is England's
        # bank holiday, so 3 h on Tuesday from 06:00 → 09:00.
        ("GB-ENG", datetime(2026, 9, 1, 9, 0, tzinfo=LONDON)),
        # In Scotland Monday is a working day: 3 h from 06:00 → Monday 09:00.
        ("GB-SCT", datetime(2026, 8, 31, 9, 0, tzinfo=LONDON)),
        ("", datetime(2026, 8, 31, 9, 0, tzinfo=LONDON)),
    ],
)
def test_a_deadline_skips_the_bank_holiday_of_the_companys_region_only(subdivision, due_local):
    case = open_case(
        at=datetime(2026, 8, 28, 17, 0, tzinfo=LONDON), band=2, priority="P2", company=uk_company(subdivision)
    )

    assert SlaTimer.objects.get(case=case, metric=Metric.FIRST_RESPONSE).due_at == due_local


def test_a_calendar_fixed_to_another_country_ignores_the_companys_region():
    calendar = Calendar.objects.get(kind=Calendar.Kind.BUSINESS_HOURS)
    calendar.country = "FR"
    calendar.save()
    days = calendar_for_company(
        calendar=calendar, company=uk_company("GB-ENG"), at=datetime(2026, 8, 1, tzinfo=UTC)
    ).holidays

    assert date(2026, 7, 14) in days and ENGLISH_LATE_SUMMER not in days


@pytest.mark.parametrize(
    ("country", "subdivision", "error"),
    [
        ("GB", "GB-ENG", None),
        ("GB", "gb-sct", None),  # stored upper-case
        ("US", "US-CA", None),
        ("FR", "FR-57", None),  # Moselle
        ("GB", "", None),
        ("GB", "GB-XX", "is not a subdivision of GB: use one of GB-ENG, GB-NIR, GB-SCT, GB-WLS."),
        ("FR", "GB-ENG", "is not a subdivision of FR"),
        ("GB", "ENG", "is not a subdivision of GB"),
        ("IS", "IS-1", "use blank: no subdivisions are known for IS"),
    ],
)
def test_a_subdivision_must_be_a_known_region_of_the_companys_country(country, subdivision, error):
    company = Company(name="X", country=country, subdivision=subdivision, time_zone="UTC")

    if error is None:
        company.full_clean()
        assert company.subdivision == subdivision.upper()
    else:
        with pytest.raises(ValidationError) as refused:
            company.full_clean()
        assert error in refused.value.message_dict["subdivision"][0]


def test_the_database_refuses_a_subdivision_that_is_not_an_iso_code():
    with pytest.raises(IntegrityError), transaction.atomic():
        Company.objects.create(name="Y", country="GB", subdivision="ENG-1")


def test_demo_thames_ltd_is_in_england(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # the fixtures' hasher
    call_command("demo_load", "--no-cases", verbosity=0)

    thames = Company.objects.get(name="Thames Ltd (UK)")

    assert thames.subdivision == "GB-ENG"
    assert ENGLISH_LATE_SUMMER in closed_days(thames)
