from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from status.models import MaintenanceWindow
from status.selectors import product_status_list


@pytest.mark.django_db
def test_seeded_windows_load_twice_without_duplicates_and_match_the_spec():
    call_command("bootstrap", verbosity=0)
    call_command("bootstrap", verbosity=0)

    assert MaintenanceWindow.objects.count() == 2
    financials, intelligent_time = MaintenanceWindow.objects.order_by("pk")
    assert (financials.product.code, financials.schedule_text) == (
        "financials",
        "every Friday from 19:30 America/Los_Angeles, 4 h",
    )
    assert (intelligent_time.product.code, intelligent_time.schedule_text) == (
        "intelligent-time",
        "every Saturday from 23:00 America/Los_Angeles, 2 h",
    )
    # Sat 2026-07-11 23:30 PDT = 07-12 06:30Z: Intelligent Time is down, Financials is up.
    statuses = {
        s.product.code: s.status for s in product_status_list(now=datetime(2026, 7, 12, 6, 30, tzinfo=UTC))
    }
    assert statuses == {"financials": "operational", "intelligent-time": "under_maintenance"}
