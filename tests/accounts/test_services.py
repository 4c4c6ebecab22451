from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditRecord, AuthorizationRequest
from accounts.services import authorization_requests_expire
from tests.factories import AuthorizationRequestFactory

pytestmark = pytest.mark.django_db


def test_pending_requests_expire_at_their_edge_and_only_once():
    now = timezone.now()
    due = AuthorizationRequestFactory(created_at=now - timedelta(days=14), expires_at=now)
    later = AuthorizationRequestFactory(created_at=now, expires_at=now + timedelta(seconds=1))

    assert authorization_requests_expire(now=now) == 1
    assert authorization_requests_expire(now=now) == 0

    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == AuthorizationRequest.Status.EXPIRED
    assert later.status == AuthorizationRequest.Status.PENDING
    assert AuditRecord.objects.filter(action=AuditRecord.Action.REQUEST_EXPIRED).count() == 1


def test_audit_records_are_immutable():
    request = AuthorizationRequestFactory()
    record = AuditRecord.objects.create(
        authorization_request=request,
        action=AuditRecord.Action.REQUEST_RAISED,
        channel="api",
        created_at=timezone.now(),
    )

    record.channel = "email"
    with pytest.raises(ValueError, match="immutable"):
        record.save()
