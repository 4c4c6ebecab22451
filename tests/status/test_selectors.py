from datetime import UTC, date, datetime, time, timedelta

import pytest

from status.models import Incident, MaintenanceWindow
from status.selectors import (
    ProductStatus,
    incident_list_open,
    maintenance_calendar_occurrences,
    product_status_compute,
    product_status_get,
    product_status_list,
    window_occurrences_next,
)
from tests.factories import ProductFactory
from tests.status.factories import (
    IncidentFactory,
    IncidentUpdateFactory,
    MaintenanceWindowFactory,
    OneOffWindowFactory,
)

pytestmark = pytest.mark.django_db

# The Friday 19:30 PT window on 2026-03-13 (PDT): 03-14 02:30Z to 06:30Z.
START, END = datetime(2026, 3, 14, 2, 30, tzinfo=UTC), datetime(2026, 3, 14, 6, 30, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (START - TICK, ProductStatus.OPERATIONAL),
        (START, ProductStatus.UNDER_MAINTENANCE),
        (END - TICK, ProductStatus.UNDER_MAINTENANCE),
        (END, ProductStatus.OPERATIONAL),
    ],
)
def test_status_at_the_exact_edges_of_a_window(instant, expected):
    window = MaintenanceWindowFactory()

    assert product_status_get(product=window.product, now=instant) == expected
    (summary,) = product_status_list(now=instant)
    assert summary.status == expected
    assert (summary.current_maintenance is not None) == (expected == ProductStatus.UNDER_MAINTENANCE)


@pytest.mark.parametrize(
    ("impacts", "in_maintenance", "expected"),
    [
        ([], False, ProductStatus.OPERATIONAL),
        ([], True, ProductStatus.UNDER_MAINTENANCE),
        (["degraded"], False, ProductStatus.DEGRADED),
        (["degraded"], True, ProductStatus.UNDER_MAINTENANCE),
        (["outage"], True, ProductStatus.OUTAGE),
        (["degraded", "outage"], False, ProductStatus.OUTAGE),
    ],
)
def test_status_precedence_outage_then_maintenance_then_degraded(impacts, in_maintenance, expected):
    window = MaintenanceWindowFactory()
    for impact in impacts:
        IncidentFactory(product=window.product, impact=impact)

    now = START if in_maintenance else END
    assert product_status_get(product=window.product, now=now) == expected


def test_resolved_incidents_do_not_count():
    incident = IncidentFactory(
        impact=Incident.Impact.OUTAGE, status=Incident.Status.RESOLVED, resolved_at=START - timedelta(hours=1)
    )

    assert product_status_get(product=incident.product, now=START) == ProductStatus.OPERATIONAL
    assert product_status_compute(incidents=[incident], running=None) == ProductStatus.OPERATIONAL


def test_inactive_windows_and_products_are_ignored():
    MaintenanceWindowFactory(is_active=False)
    hidden = MaintenanceWindowFactory(product=ProductFactory(is_active=False))

    assert product_status_list(now=START)[0].status == ProductStatus.OPERATIONAL
    assert hidden.product.pk not in [summary.product.pk for summary in product_status_list(now=START)]


def test_next_occurrences_merge_weekly_and_one_off_windows_by_start():
    product = ProductFactory()
    weekly = MaintenanceWindowFactory(product=product)
    one_off = OneOffWindowFactory(
        product=product,
        starts_at=datetime(2026, 3, 16, 12, tzinfo=UTC),
        ends_at=datetime(2026, 3, 16, 13, tzinfo=UTC),
    )
    OneOffWindowFactory(
        product=product, starts_at=START - timedelta(days=30), ends_at=START - timedelta(days=29)
    )

    runs = window_occurrences_next(windows=[weekly, one_off], now=START, count=3)

    assert [(run.window.pk, run.start) for run in runs] == [
        (weekly.pk, START),  # in progress: comes first
        (one_off.pk, datetime(2026, 3, 16, 12, tzinfo=UTC)),
        (weekly.pk, START + timedelta(days=7)),
    ]
    assert runs[0].uid == f"maintenance-{weekly.pk}-20260313@casedesk"
    assert runs[1].uid == f"maintenance-{one_off.pk}@casedesk"


def test_calendar_occurrences_cover_a_week_back_and_three_months_ahead():
    window = MaintenanceWindowFactory(active_until=date(2026, 12, 31))

    runs = maintenance_calendar_occurrences(product=window.product, now=START)

    # From START - 7 days (03-07 02:30Z) to START + 91 days (06-13 02:30Z, exclusive): the Friday before
    # the change was still PST (03-07 03:30Z); the 06-12 run starts exactly at the horizon, so it is out.
    assert runs[0].start == datetime(2026, 3, 7, 3, 30, tzinfo=UTC)
    assert runs[-1].start == datetime(2026, 6, 6, 2, 30, tzinfo=UTC)
    assert len(runs) == 14


def test_weekly_window_rule_round_trips_the_model_fields():
    window = MaintenanceWindowFactory(weekday=MaintenanceWindow.Weekday.SATURDAY, local_start_time=time(23))

    assert (window.weekly_rule.weekday, window.weekly_rule.local_start) == (5, time(23))
    assert window.schedule_text == "every Saturday from 23:00 America/Los_Angeles, 4 h"


def test_open_incidents_come_with_their_updates_in_constant_queries(django_assert_num_queries):
    for incident in IncidentFactory.create_batch(4):
        IncidentUpdateFactory.create_batch(2, incident=incident)
    IncidentFactory(status=Incident.Status.RESOLVED, resolved_at=START)

    with django_assert_num_queries(2):  # incidents with products, then every update
        incidents = list(incident_list_open())
        assert [len(incident.update_list) for incident in incidents] == [2, 2, 2, 2]
        assert {incident.product.name for incident in incidents}
