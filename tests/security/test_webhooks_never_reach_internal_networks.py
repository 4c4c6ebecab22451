"""Rule: outbound requests never reach internal networks.

A webhook URL is a customer's input and the request leaves from inside our network. Registration
refuses URLs with credentials and URLs whose address, or any address their host resolves to, is not
on the public internet; delivery checks again, connects to the address it checked (no second
resolution), and never follows a redirect. Real HTTP servers on loopback stand for the internal
services; each records every connection it accepts, so "no request reached it" is observed, not
assumed. The DNS is the one stand-in (``fake_dns``): it is a boundary, and it also guards that no
test connects off this machine.
"""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts.models import Membership
from cases.models import Case
from cases.services import case_transition
from core.errors import ValidationFailed
from notifications.admin import WebhookEndpointForm
from notifications.checks import webhook_private_networks_check
from notifications.delivery import notification_deliver
from notifications.models import Notification, WebhookEndpoint
from notifications.outbound import address_refusal
from notifications.webhooks import webhook_url_check
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, member
from tests.outbound_peers import RecordingServer, answer

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
PUBLIC_V4 = "93.184.215.14"  # a public address the fake DNS hands out; guarded: never connected to
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"


# --- the address policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("100.64.0.1", "shared address space"),
        ("100.127.255.254", "shared address space"),
        ("169.254.169.254", "link-local"),  # cloud instance metadata
        ("fe80::1", "link-local"),
        ("fec0::1", "site-local"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("0.1.2.3", "reserved"),
        ("192.0.0.8", "reserved"),
        ("192.0.2.1", "reserved"),
        ("198.18.0.1", "reserved"),
        ("198.51.100.7", "reserved"),
        ("203.0.113.9", "reserved"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("2001:db8::1", "reserved"),
        ("100::1", "reserved"),
        ("4000::1", "reserved"),  # outside global unicast 2000::/3
        # IPv6 forms of an IPv4 address are judged by that address.
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("::127.0.0.1", "loopback"),  # IPv4-compatible (deprecated)
        ("::8.8.8.8", "reserved"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 well-known prefix
        ("64:ff9b::a9fe:a9fe", "link-local"),
        ("64:ff9b:1::8.8.8.8", "reserved"),  # local-use NAT64
        ("2002:7f00:1::1", "reserved"),  # 6to4 embedding 127.0.0.1
        ("2002:0a00:0001::1", "reserved"),  # 6to4 embedding 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"),  # Teredo
        # Public addresses pass.
        ("8.8.8.8", None),
        ("1.1.1.1", None),
        (PUBLIC_V4, None),
        ("::ffff:8.8.8.8", None),
        ("64:ff9b::8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        (PUBLIC_V6, None),
    ],
)
def test_address_classification(address, reason):
    assert address_refusal(ipaddress.ip_address(address)) == reason


@pytest.fixture
def public_dns(fake_dns):
    fake_dns.answers.update(
        {
            "hooks.test": [PUBLIC_V4, PUBLIC_V6],
            "internal.test": ["10.0.0.5"],
            "metadata.test": ["169.254.169.254"],
            "mixed.test": [PUBLIC_V4, "127.0.0.1"],  # one bad answer is enough
            "mapped.test": ["::ffff:127.0.0.1"],
            "ula.test": [PUBLIC_V4, "fd00::5"],
            # What systemd-resolved answers (RFC 6761); glibc's files database knows only "localhost".
            "localhost.": ["127.0.0.1", "::1"],
            "app.localhost": ["127.0.0.1", "::1"],
        }
    )
    return fake_dns


@pytest.mark.parametrize(
    ("url", "code", "reason"),
    [
        ("https://localhost/hook", "webhook_url_forbidden", "loopback"),
        ("https://localhost./hook", "webhook_url_forbidden", "loopback"),
        ("https://app.localhost/hook", "webhook_url_forbidden", "loopback"),
        ("https://LOCALHOST/hook", "webhook_url_forbidden", "loopback"),
        ("https://127.0.0.1/hook", "webhook_url_forbidden", "loopback"),
        ("https://127.1.2.3:8443/hook", "webhook_url_forbidden", "loopback"),
        ("https://[::1]/hook", "webhook_url_forbidden", "loopback"),
        ("https://[::ffff:127.0.0.1]/hook", "webhook_url_forbidden", "loopback"),
        ("https://[::ffff:7f00:1]/hook", "webhook_url_forbidden", "loopback"),
        ("https://0.0.0.0/hook", "webhook_url_forbidden", "unspecified"),
        ("https://[::]/hook", "webhook_url_forbidden", "unspecified"),
        ("https://169.254.169.254/latest/meta-data/", "webhook_url_forbidden", "link-local"),
        ("https://[fc00::1]/hook", "webhook_url_forbidden", "private"),
        ("https://10.0.0.1/hook", "webhook_url_forbidden", "private"),
        ("https://192.168.0.10/hook", "webhook_url_forbidden", "private"),
        ("https://100.64.0.1/hook", "webhook_url_forbidden", "shared address space"),
        ("https://224.0.0.251/hook", "webhook_url_forbidden", "multicast"),
        ("https://[64:ff9b::a00:1]/hook", "webhook_url_forbidden", "private"),
        ("https://[2002:7f00:1::1]/hook", "webhook_url_forbidden", "reserved"),
        # Numeric hosts the C resolver would read as 127.0.0.1.
        ("https://2130706433/hook", "webhook_url_forbidden", "non-standard IP address"),
        ("https://0177.0.0.1/hook", "webhook_url_forbidden", "non-standard IP address"),
        ("https://0x7f.0.0.1/hook", "webhook_url_forbidden", "non-standard IP address"),
        ("https://0x7f000001/hook", "webhook_url_forbidden", "non-standard IP address"),
        ("https://127.1/hook", "webhook_url_forbidden", "non-standard IP address"),
        # Names resolving inside, wholly or partly.
        ("https://internal.test/hook", "webhook_url_forbidden", "private"),
        ("https://metadata.test/hook", "webhook_url_forbidden", "link-local"),
        ("https://mixed.test/hook", "webhook_url_forbidden", "loopback"),
        ("https://mapped.test/hook", "webhook_url_forbidden", "loopback"),
        ("https://ula.test/hook", "webhook_url_forbidden", "private"),
        # Credentials, schemes, form.
        ("https://user:secret@hooks.test/hook", "webhook_credentials_forbidden", None),
        ("https://user@hooks.test/hook", "webhook_credentials_forbidden", None),
        ("https://hooks.test\\@127.0.0.1/hook", "webhook_credentials_forbidden", None),
        ("http://hooks.test/hook", "webhook_https_required", None),
        ("ftp://hooks.test/hook", "webhook_https_required", None),
        ("file:///etc/passwd", "webhook_https_required", None),
        ("https://hooks.test:99999/hook", "webhook_url_invalid", None),
        ("https://hooks.test/a\nb", "webhook_url_invalid", None),
        ("https://nowhere.test/hook", "webhook_host_unresolvable", None),
    ],
)
def test_registration_refuses_urls_that_could_reach_an_internal_network(public_dns, url, code, reason):
    with pytest.raises(ValidationFailed) as refused:
        webhook_url_check(url)

    assert refused.value.code == code
    assert refused.value.extra.get("reason") == reason
    # The registrant is told the kind of address, never the address a name resolved to.
    assert "10.0.0.5" not in refused.value.detail and "fd00::5" not in refused.value.detail


def test_registration_accepts_a_host_with_only_public_addresses(public_dns):
    webhook_url_check("https://hooks.test/casedesk?tenant=7")
    webhook_url_check(f"https://{PUBLIC_V4}:8443/casedesk")
    webhook_url_check(f"https://[{PUBLIC_V6}]/casedesk")


def test_the_api_refuses_with_json_400_and_stable_codes(api_client, public_dns):
    company = CompanyFactory()
    api_client.force_authenticate(member(company, role=Membership.Role.MANAGER))

    def register(url):
        return api_client.post("/api/v1/webhooks/", {"url": url, "event_types": ["created"]}, format="json")

    loopback = register("https://localhost/hook")
    metadata = register("https://169.254.169.254/latest/meta-data/")
    credentials = register("https://user:secret@hooks.test/hook")
    internal = register("https://internal.test/hook")
    decimal = register("https://2130706433/hook")  # not a URL to the serializer either
    good = register("https://hooks.test/hook")

    assert (loopback.status_code, loopback.json()["code"], loopback.json()["reason"]) == (
        400,
        "webhook_url_forbidden",
        "loopback",
    )
    assert (metadata.status_code, metadata.json()["reason"]) == (400, "link-local")
    assert (credentials.status_code, credentials.json()["code"]) == (400, "webhook_credentials_forbidden")
    assert (internal.status_code, internal.json()["reason"]) == (400, "private")
    assert "10.0.0.5" not in internal.json()["detail"]
    assert decimal.status_code == 400 and decimal.json()["code"]
    assert good.status_code == 201
    assert list(WebhookEndpoint.objects.values_list("url", flat=True)) == ["https://hooks.test/hook"]


def test_registration_asks_who_you_are_before_looking_anything_up(api_client, public_dns):
    company = CompanyFactory()
    api_client.force_authenticate(member(company))  # not a manager

    refused = api_client.post("/api/v1/webhooks/", {"url": "https://internal.test/hook"}, format="json")

    assert (refused.status_code, refused.json()["code"]) == (403, "not_company_manager")
    assert public_dns.lookups["internal.test"] == 0


def test_the_admin_form_applies_the_same_rules(public_dns):
    company = CompanyFactory()
    manager = member(company, role=Membership.Role.MANAGER)
    fields = {
        "company": company.pk,
        "event_types": '["created"]',
        "is_active": True,
        "created_by": manager.pk,
    }

    internal = WebhookEndpointForm(data={**fields, "url": "https://internal.test/hook", "created_at": NOW})
    public = WebhookEndpointForm(data={**fields, "url": "https://hooks.test/hook", "created_at": NOW})

    assert not internal.is_valid() and internal.errors["url"][0].startswith("The host internal.test")
    assert public.is_valid(), public.errors


# --- at send time ---------------------------------------------------------------------------------


def _webhook_row(url: str) -> Notification:
    """An endpoint stored with ``url`` (as by an older version, the admin or the database: sending
    must not trust registration) and the outbox row of one case event for it."""
    case = CaseFactory(status=Case.Status.OPEN)
    WebhookEndpoint.objects.create(
        company=case.company, url=url, event_types=[], created_by=case.opened_by, created_at=NOW
    )
    case_transition(case=case, actor=AnalystFactory(), transition="start", now=NOW)
    return Notification.objects.get(channel=Notification.Channel.WEBHOOK, case=case)


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("localhost", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("0.0.0.0", "unspecified"),  # Linux connects 0.0.0.0 to this machine
        ("2130706433", "not a standard IPv4 address"),
        ("0177.0.0.1", "not a standard IPv4 address"),
        ("127.1", "not a standard IPv4 address"),
    ],
)
def test_delivery_refuses_an_internal_address_and_connects_nowhere(
    settings, fake_dns, django_capture_on_commit_callbacks, host, why
):
    with RecordingServer(answer(204)) as internal:
        port = internal.server_address[1]
        settings.WEBHOOK_ALLOW_HTTP_HOSTS = [host.strip("[]")]
        with django_capture_on_commit_callbacks(execute=False):
            row = _webhook_row(f"http://{host}:{port}/admin")

        assert notification_deliver(notification_id=row.pk, now=NOW) is False  # not sent: the row backs off

    row.refresh_from_db()
    assert internal.connections == [] and internal.requests == []
    assert row.status == Notification.Status.PENDING and row.sent_at is None
    assert row.last_error.startswith("OutboundRefused:") and why in row.last_error


def test_delivery_refuses_credentials_in_a_stored_url(settings, fake_dns, django_capture_on_commit_callbacks):
    settings.WEBHOOK_ALLOW_HTTP_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    with RecordingServer(answer(204)) as receiver:
        with django_capture_on_commit_callbacks(execute=False):
            row = _webhook_row(f"http://admin:secret@127.0.0.1:{receiver.server_address[1]}/hook")
        assert notification_deliver(notification_id=row.pk, now=NOW) is False  # not sent: the row backs off

    row.refresh_from_db()
    assert receiver.connections == []
    assert "credentials" in row.last_error


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_webhook_that_redirects_to_another_local_port_causes_no_request_there(
    settings, fake_dns, django_capture_on_commit_callbacks, status
):
    """The allow-list is by network, so it lets both servers through: only not following the
    redirect keeps the second one untouched, and its connection log shows it was."""
    settings.WEBHOOK_ALLOW_HTTP_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    internal = RecordingServer(answer(204))
    endpoint = RecordingServer(answer(status, Location=f"{internal.url}/internal/admin"))
    with internal, endpoint:
        with django_capture_on_commit_callbacks(execute=False):
            row = _webhook_row(f"{endpoint.url}/hook")

        assert notification_deliver(notification_id=row.pk, now=NOW) is False  # not sent: the row backs off

    row.refresh_from_db()
    assert [(r.method, r.path) for r in endpoint.requests] == [("POST", "/hook")]
    assert internal.connections == [] and internal.requests == []
    assert row.status == Notification.Status.PENDING
    assert row.last_error == f"DeliveryError: HTTP {status}: redirect refused (webhooks are never redirected)"


def test_a_host_that_resolves_inside_by_send_time_gets_no_request(
    settings, api_client, fake_dns, django_capture_on_commit_callbacks
):
    """DNS rebinding: public at registration, loopback at delivery. The check at send time refuses
    before connecting; the receiver, listening on the loopback address, sees nothing."""
    settings.WEBHOOK_ALLOW_HTTP_HOSTS = ["rebind.test"]
    fake_dns.answers["rebind.test"] = [PUBLIC_V4]
    case = CaseFactory(status=Case.Status.OPEN)
    api_client.force_authenticate(member(case.company, role=Membership.Role.MANAGER))
    with RecordingServer(answer(204)) as internal:
        registered = api_client.post(
            "/api/v1/webhooks/",
            {"url": f"http://rebind.test:{internal.server_address[1]}/hook"},
            format="json",
        )
        fake_dns.answers["rebind.test"] = ["127.0.0.1"]
        with django_capture_on_commit_callbacks(execute=False):
            case_transition(case=case, actor=AnalystFactory(), transition="start", now=NOW)
        row = Notification.objects.get(channel=Notification.Channel.WEBHOOK, case=case)
        assert notification_deliver(notification_id=row.pk, now=NOW) is False  # not sent: the row backs off

    row.refresh_from_db()
    assert registered.status_code == 201
    assert internal.connections == []
    assert (
        "rebind.test resolves to an address that is not on the public internet (loopback)" in row.last_error
    )
    assert fake_dns.lookups["rebind.test"] == 2  # once to register, once to send


def test_delivery_connects_to_the_address_it_checked_and_names_the_host(
    settings, fake_dns, django_capture_on_commit_callbacks
):
    """One lookup per delivery: the HTTP client is handed the checked address, never the name (a
    second lookup could answer differently), and the receiver still sees the name it was given."""
    settings.WEBHOOK_ALLOW_HTTP_HOSTS = ["hooks.test"]
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    fake_dns.answers["hooks.test"] = ["127.0.0.1"]
    with RecordingServer(answer(204)) as receiver:
        port = receiver.server_address[1]
        with django_capture_on_commit_callbacks(execute=False):
            row = _webhook_row(f"http://hooks.test:{port}/casedesk?tenant=7")
        assert notification_deliver(notification_id=row.pk, now=NOW) is True

    row.refresh_from_db()
    assert row.status == Notification.Status.SENT
    assert fake_dns.lookups["hooks.test"] == 1
    [request] = receiver.requests
    assert (request.method, request.path, request.headers["Host"]) == (
        "POST",
        "/casedesk?tenant=7",
        f"hooks.test:{port}",
    )
    assert request.headers["webhook-signature"].startswith("v1,")


def test_the_test_exception_is_by_network_and_nothing_else_passes(
    settings, fake_dns, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_HTTP_HOSTS = ["127.0.0.2"]
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    with RecordingServer(answer(204), host="127.0.0.2") as outside:
        with django_capture_on_commit_callbacks(execute=False):
            row = _webhook_row(f"{outside.url}/hook")
        assert notification_deliver(notification_id=row.pk, now=NOW) is False  # not sent: the row backs off

    assert outside.connections == []


# --- HTTPS: pinned address, verified name ---------------------------------------------------------


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory):
    """A throwaway CA and a server certificate for hooks.test, made with the openssl CLI."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command (Debian: apt-get install openssl)")
    folder = tmp_path_factory.mktemp("ca")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Casedesk test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
        cwd=folder,
    )
    _openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=hooks.test", cwd=folder)
    (folder / "server.ext").write_text("subjectAltName=DNS:hooks.test\nextendedKeyUsage=serverAuth\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        cwd=folder,
    )
    return folder


class TlsRecordingServer(RecordingServer):
    def __init__(self, certificate_folder):
        super().__init__(answer(204))
        self.server_names: list[str | None] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate_folder / "server.pem", certificate_folder / "server.key")
        context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        self.socket = context.wrap_socket(self.socket, server_side=True)


@pytest.mark.parametrize(("name", "delivered"), [("hooks.test", True), ("other.test", False)])
def test_https_delivery_sends_sni_and_verifies_the_certificate_for_the_url_host(
    settings, monkeypatch, fake_dns, test_ca, django_capture_on_commit_callbacks, name, delivered
):
    """Connected to 127.0.0.1, yet the TLS handshake names the URL's host and the certificate must be
    valid for it: a certificate for hooks.test does not pass for other.test."""
    monkeypatch.setenv("SSL_CERT_FILE", str(test_ca / "ca.pem"))  # the system trust store, for this test
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    fake_dns.answers[name] = ["127.0.0.1"]
    with TlsRecordingServer(test_ca) as receiver:
        with django_capture_on_commit_callbacks(execute=False):
            row = _webhook_row(f"https://{name}:{receiver.server_address[1]}/hook")
        if delivered:
            assert notification_deliver(notification_id=row.pk, now=NOW) is True
        else:
            assert (
                notification_deliver(notification_id=row.pk, now=NOW) is False
            )  # not sent: the row backs off

    row.refresh_from_db()
    assert receiver.server_names == [name]
    if delivered:
        assert row.status == Notification.Status.SENT
        assert receiver.requests[0].headers["Host"] == f"{name}:{receiver.server_address[1]}"
    else:
        assert receiver.requests == []
        assert row.last_error == "SSLError: hostname 'other.test' doesn't match 'hooks.test'"


# --- the test-only exception cannot reach production silently ---------------------------------------


def test_the_private_network_exception_is_an_error_with_debug_off(settings):
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    settings.DEBUG = False
    errors = webhook_private_networks_check(None)
    with pytest.raises(SystemCheckError, match=r"notifications\.E001"):
        call_command("check")

    settings.DEBUG = True
    on_a_laptop = webhook_private_networks_check(None)
    settings.DEBUG, settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = False, []
    unset = webhook_private_networks_check(None)

    assert [e.id for e in errors] == ["notifications.E001"] and on_a_laptop == [] and unset == []
