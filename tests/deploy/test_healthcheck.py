"""scripts/healthcheck.py web: the compose health check of the web service, against a live server with
production settings (DEBUG off, HTTPS redirect on, a real host list)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

HEALTHCHECK = Path(settings.BASE_DIR) / "scripts" / "healthcheck.py"
DOMAIN = "casedesk.example.com"


def load_script():
    spec = importlib.util.spec_from_file_location("healthcheck", HEALTHCHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_check(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ["PATH"], **env}  # a container's environment, not this one's
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK), *args], env=environment, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def production_site(live_server, settings) -> str:
    """The live server with the compose stack's settings: only the public name is allowed and plain
    HTTP is redirected to HTTPS. Its handler is rebuilt so the middleware reads these settings."""
    from django.core.handlers.wsgi import WSGIHandler

    settings.ALLOWED_HOSTS = [DOMAIN]
    settings.SECURE_SSL_REDIRECT = True
    live_server.thread.httpd.set_app(WSGIHandler())
    return live_server.url


@pytest.mark.django_db(transaction=True)
def test_web_check_passes_with_the_shipped_host_list(production_site):
    result = run_check("web", f"{production_site}/healthz", ALLOWED_HOSTS=DOMAIN)

    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("healthy:")


@pytest.mark.django_db(transaction=True)
def test_a_check_sending_a_host_outside_the_list_is_refused(production_site):
    """The shipped stack's bug: a loopback Host that ALLOWED_HOSTS does not hold gets 400, forever."""
    result = run_check("web", f"{production_site}/healthz", ALLOWED_HOSTS="127.0.0.1")

    assert result.returncode == 1
    assert ": 400" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_web_check_passes_when_only_the_broker_is_down(production_site, settings):
    """Every request still succeeds without the broker (the sweeps catch up when it returns), so the
    web service stays healthy: taking it out would turn a broker outage into a full one."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # a loopback port where nothing listens

    result = run_check("web", f"{production_site}/healthz", ALLOWED_HOSTS=DOMAIN)

    assert result.returncode == 0
    assert ": 200" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_only_the_health_endpoint_is_exempt_from_the_https_redirect(production_site):
    """The check passes over plain HTTP because /healthz is exempt, not because redirects are off."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(f"{production_site}/admin/", headers={"Host": DOMAIN})
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request, timeout=30)

    assert answer.value.code == 301
    assert answer.value.headers["Location"] == f"https://{DOMAIN}/admin/"


def test_web_check_fails_when_nothing_listens():
    result = run_check(
        "web",
        "http://127.0.0.1:1/healthz",
        ALLOWED_HOSTS=DOMAIN,
    )

    assert result.returncode == 1
    assert "unhealthy" in result.stdout


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        (DOMAIN, DOMAIN),
        (f" {DOMAIN} , www.{DOMAIN}", DOMAIN),
        (".example.com,api.example.com", "example.com"),  # a leading dot allows the domain itself
        ("*", "localhost"),
        ("", "localhost"),  # DEBUG's loopback default
    ],
)
def test_the_host_sent_is_one_django_accepts(monkeypatch, allowed_hosts, host):
    from django.http.request import validate_host

    monkeypatch.setenv("ALLOWED_HOSTS", allowed_hosts)
    sent = load_script().allowed_host()

    assert sent == host
    listed = [h.strip() for h in allowed_hosts.split(",") if h.strip()] or ["localhost"]
    assert validate_host(sent, listed)
