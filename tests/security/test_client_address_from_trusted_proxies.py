"""A client is who the deployment's own proxies say it is (core.net.client_ip), never what it writes
in X-Forwarded-For itself: rotating that header once gave every request a fresh throttle counter."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse

from core.net import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WINDOW_START = datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC)  # on a minute boundary


@pytest.mark.parametrize(
    ("num_proxies", "forwarded_for", "remote_addr", "client"),
    [
        (0, None, "203.0.113.9", "203.0.113.9"),
        (0, "198.51.100.1", "203.0.113.9", "203.0.113.9"),  # no trusted proxy: the header is ignored
        (1, "198.51.100.1", "10.0.0.2", "198.51.100.1"),
        (1, "1.1.1.1, 2.2.2.2, 198.51.100.1", "10.0.0.2", "198.51.100.1"),  # the rightmost hop
        (2, "1.1.1.1, 198.51.100.1, 10.0.0.3", "10.0.0.2", "198.51.100.1"),
        (1, None, "10.0.0.2", "10.0.0.2"),  # did not come through the proxy: the socket's peer
        (2, "198.51.100.1", "10.0.0.2", "10.0.0.2"),  # shorter than the proxy chain
        (1, " , ", "10.0.0.2", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2", "10.0.0.2"),  # a misconfigured proxy: never garbage
        (1, "2001:DB8:0:0::1", "10.0.0.2", "2001:db8::1"),  # one spelling per address
    ],
)
def test_the_client_is_the_address_the_trusted_proxies_name(
    settings, num_proxies, forwarded_for, remote_addr, client
):
    settings.NUM_PROXIES = num_proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)

    assert client_ip(request) == client


def _wrong_password(api_client, forwarded_for: str):
    return api_client.post(
        reverse("auth-token"),
        {"username": "ana", "password": "not-her-password"},
        format="json",
        HTTP_X_FORWARDED_FOR=forwarded_for,
        REMOTE_ADDR="203.0.113.9",
    )


def _no_lockout(settings):
    # Isolate the throttle: the per-address login lockout would refuse these guesses too.
    settings.AXES_FAILURE_LIMIT = 1000


def test_rotating_x_forwarded_for_does_not_escape_the_anonymous_throttle(api_client, settings):
    settings.NUM_PROXIES = 0
    settings.THROTTLE_RATES = {"anon": "5/min", "user": "1000/min"}
    _no_lockout(settings)
    UserFactory(username="ana", password="right-password-123")

    with time_machine.travel(WINDOW_START, tick=False):
        responses = [_wrong_password(api_client, f"198.51.100.{n}") for n in range(1, 8)]

    assert [r.status_code for r in responses] == [400] * 5 + [429] * 2
    assert responses[-1].json()["code"] == "throttled"


def test_behind_one_proxy_the_rightmost_hop_is_the_client(api_client, settings):
    settings.NUM_PROXIES = 1
    settings.THROTTLE_RATES = {"anon": "2/min", "user": "1000/min"}
    _no_lockout(settings)
    UserFactory(username="ana", password="right-password-123")

    with time_machine.travel(WINDOW_START, tick=False):
        # One client writing a different address of its own before the proxy's each time: one counter.
        same_client = [_wrong_password(api_client, f"10.9.9.{n}, 198.51.100.7") for n in range(3)]
        # Another client behind the same proxy (same REMOTE_ADDR): a counter of its own.
        other_client = _wrong_password(api_client, "198.51.100.8")

    assert [r.status_code for r in same_client] == [400, 400, 429]
    assert other_client.status_code == 400
