import pytest


@pytest.fixture(autouse=True)
def _inbound_calls_are_not_throttled(settings):
    """These tests post to the inbound endpoint far more often than the anonymous rate allows. No
    rate means no counting either (core.throttling), so they leave no counts to throttle later tests."""
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "anon": None}
