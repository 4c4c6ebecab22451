import pytest
from django.core.management import call_command

from accounts.models import Company, Membership, User


@pytest.mark.django_db
def test_demo_data_loads_and_reloading_duplicates_nothing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # the fixtures' hasher
    call_command("demo_load", verbosity=0)
    counts = (User.objects.count(), Company.objects.count(), Membership.objects.count())

    call_command("demo_load", verbosity=0)

    assert counts == (User.objects.count(), Company.objects.count(), Membership.objects.count())
    assert User.objects.get(username="us.dsu").check_password("casedesk-demo")
    assert Company.objects.get(country="US").sla_band == 3
