"""Prometheus metrics at ``/metrics``: request counts and latencies (django-prometheus's middleware),
events counted where they happen (``Counter``s such as ``THROTTLED_REQUESTS``), and the domain's
state, read from the database when Prometheus scrapes by the collectors each app registers.

Counters live in the process that counts. gunicorn runs several worker processes, so with
``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py sets it) every process writes its counts to a
file there and a scrape adds up all of them, those of exited processes included. Processes that
share the directory (``make run`` gives web, worker and beat one) share one set of totals.

Access: from ``METRICS_ALLOWED_NETWORKS`` (default loopback), or with ``Authorization: Bearer
$METRICS_TOKEN``. Anyone else gets the API's 404 for an unknown endpoint: the page does not exist
for them.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from core.net import client_ip

logger = logging.getLogger(__name__)

THROTTLED_REQUESTS = Counter(
    "casedesk_throttled_requests", "API requests refused by a rate limit (429), by throttle scope.", ["scope"]
)
RETENTION_DELETED_ROWS = Counter(
    "casedesk_retention_deleted_rows",
    "Rows deleted by the retention jobs, by table (outbox, inbound e-mail log, idempotency keys).",
    ["table"],
)

type StateCollector = Callable[[], Iterable[Metric]]
_state_collectors: dict[str, StateCollector] = {}


def metrics_collector_register(name: str, collect: StateCollector) -> None:
    """Add a collector of state metrics, read from the database at each scrape (apps call this
    from ``AppConfig.ready``). Registering a name again replaces its collector."""
    _state_collectors[name] = collect


class _StateCollectors(Collector):
    """Runs every registered collector; one that fails (the database is down) is reported with
    ``casedesk_metrics_collector_up 0`` and the scrape still answers with everything else."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "casedesk_metrics_collector_up",
            "1 when the collector read its state at this scrape, 0 when it failed (see the logs).",
            labels=["collector"],
        )
        duration = GaugeMetricFamily(
            "casedesk_metrics_collector_duration_seconds",
            "Time the collector took at this scrape (its database queries).",
            labels=["collector"],
        )
        for name, collect in _state_collectors.items():
            started = time.perf_counter()
            try:
                families = list(collect())
            except Exception:  # any failure of one collector must not take the others down
                logger.exception("metrics collector %r failed", name)
                families, ok = [], False
            else:
                ok = True
            yield from families
            up.add_metric([name], 1 if ok else 0)
            duration.add_metric([name], time.perf_counter() - started)
        yield up
        yield duration


class _ThisProcess(Collector):
    """Without multiprocess mode: the metrics this process holds (its counters, the request
    metrics, the Python process collectors)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def metrics_multiprocess() -> bool:
    """prometheus_client's own switch: the directory must be set before it is first imported."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def metrics_scrape() -> bytes:
    """Everything ``/metrics`` shows, in Prometheus's text format."""
    registry = CollectorRegistry(auto_describe=False)
    if metrics_multiprocess():
        MultiProcessCollector(registry)  # registers itself: every process's files in the directory
    else:
        registry.register(_ThisProcess())
    registry.register(_StateCollectors())
    return generate_latest(registry)


@functools.lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _address_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
    return any(ip in network for network in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))


def _token_presented(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), expected.encode())


def metrics_access_allowed(request: HttpRequest) -> bool:
    """From an allowed network, or with the bearer token."""
    return _address_allowed(client_ip(request)) or _token_presented(request)


@csrf_exempt  # no session is involved; other methods get a JSON 405 rather than the CSRF page
def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics`` for Prometheus; the API's own 404 for anyone not allowed."""
    if not metrics_access_allowed(request):
        return JsonResponse({"code": "not_found", "detail": _("No such endpoint.")}, status=404)
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse(
            {
                "code": "method_not_allowed",
                "detail": _('Method "%(method)s" not allowed.') % {"method": request.method},
            },
            status=405,
        )
        response["Allow"] = "GET, HEAD"
        return response
    return HttpResponse(metrics_scrape(), content_type=CONTENT_TYPE_LATEST)
