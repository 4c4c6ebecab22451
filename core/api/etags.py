"""Conditional GET with entity tags over a JSON answer (RFC 9110 §8.8.3, §13.1.2).

The tag is a digest of the answer itself, as the caller would receive it: nothing the answer shows
(a timer's time left, what the caller may do next, who they are) can change without the tag changing.
The server still builds the answer; a client that has it already gets a 304 without the body."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response


def weak_etag(data: Any) -> str:
    """A weak tag (the same JSON, not necessarily the same bytes) for ``data``."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return f'W/"{hashlib.sha256(canonical.encode()).hexdigest()[:40]}"'


def conditional_response(request: Request, data: Any) -> Response:
    """``data`` with its ``ETag``, or 304 with the tag alone when ``If-None-Match`` names it (weak
    comparison, as RFC 9110 requires for If-None-Match)."""
    etag = weak_etag(data)
    offered = parse_etags(request.headers.get("If-None-Match", ""))
    if "*" in offered or etag.removeprefix("W/") in {tag.removeprefix("W/") for tag in offered}:
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
    return Response(data, headers={"ETag": etag})
