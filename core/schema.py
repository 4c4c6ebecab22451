"""The OpenAPI schema's conventions, in one place: tags by resource, and every error an operation can
answer, rendered from the error catalogue (``core.errors.CATALOGUE``) so the documentation cannot
drift from the codes the code raises.

A view documents an operation with drf-spectacular's ``extend_schema``, giving a ``summary``, a
``description`` (or its docstring) and the application errors it raises, by code::

    @extend_schema(
        operation_id="cases_escalations_create",
        summary="Ask for an escalation",
        request=EscalationCreateInputSerializer,
        responses={201: EscalationOutputSerializer},
        extensions=raises("customer_only", "case_closed", *ACTING_FOR_COMPANY),
    )

The errors every operation of its kind can answer are added here from what the view is: 401 where
it authenticates, 403 ``permission_denied`` for a session's unsafe methods (CSRF), 404 where the path
names an object, 400/413/415 where it reads a body, the pagination, filter and ordering codes of a
list, 406, 429 where it is throttled and 503. Each status gets one response listing its codes, with
the catalogue's example of each. The tag comes from the path (``PATH_TAGS``) unless the view names
one. ``tests/core/test_schema.py`` walks the result.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.authentication import SessionAuthentication
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny

from core.errors import CATALOGUE, ErrorDefinition

ERRORS_EXTENSION = "x-casedesk-errors"

# Tags by resource, with the words Swagger UI shows under each (SPECTACULAR_SETTINGS["TAGS"]).
TAGS: dict[str, str] = {
    "accounts": "Tokens, who I am, companies and their members.",
    "authorisation requests": "New designated support users, role changes and password resets, "
    "decided by a company's managers.",
    "cases": "Opening, reading and following cases; support's priority and assignment; the catalogues "
    "of codes to open one with; satisfaction surveys.",
    "transitions": "Moving a case through its states.",
    "comments": "A case's conversation.",
    "attachments": "Files on a case.",
    "escalations": "Asking for, and deciding, a case's escalation.",
    "webhooks": "Endpoints that receive case events.",
    "SLA": "The response-time targets in force.",
    "status": "System status, maintenance, support contacts, and the API's entry points.",
    "reports": "Figures over cases.",
}
# The first pattern matching an operation's path gives its tag.
PATH_TAGS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(pattern), tag)
    for pattern, tag in [
        (r"^/api/v1/cases/\{case_id\}/comments/", "comments"),
        (r"^/api/v1/cases/\{case_id\}/attachments/", "attachments"),
        (r"^/api/v1/cases/\{case_id\}/transitions/", "transitions"),
        (r"^/api/v1/cases/\{case_id\}/escalations/", "escalations"),
        (r"^/api/v1/(cases|catalog|surveys)/", "cases"),
        (r"^/api/v1/(auth|me|companies)/", "accounts"),
        (r"^/api/v1/authorization-requests/", "authorisation requests"),
        (r"^/api/v1/webhooks/", "webhooks"),
        (r"^/api/v1/sla/", "SLA"),
        (r"^/api/v1/(status|support)/", "status"),
        (r"^/api/v1/$", "status"),
        (r"^/api/v1/reports/", "reports"),
    ]
]

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every 4xx (and 503) answer. `code` is stable and machine-readable; `detail` is for "
    "people. Some codes add members of their own, shown in each response's examples.",
    "properties": {
        "code": {"type": "string", "description": "Stable, machine-readable; never reworded."},
        "detail": {"type": "string", "description": "For people; may change."},
        "errors": {
            "type": "object",
            "additionalProperties": True,
            "description": "`invalid`: per field, a list of `{code, message}`.",
        },
        "field": {"type": "string", "description": "The one input field the refusal is about."},
        "reason": {"type": "string", "description": "Why, more precisely (a rule's code, an address kind)."},
        "allowed": {
            "type": "array",
            "items": {"type": "string"},
            "description": "`invalid_ordering`: what may be given.",
        },
        "max_bytes": {"type": "integer", "description": "Size refusals: the limit."},
        "retry_after_seconds": {
            "type": "integer",
            "description": "429: when to try again (also `Retry-After`).",
        },
        "follow_up_of": {
            "type": "integer",
            "description": "`reopen_window_expired`: open a new case with this as `follow_up_of`.",
        },
    },
    "required": ["code", "detail"],
    "additionalProperties": True,
}
_ERROR_COMPONENT = ResolvedComponent(
    name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR_SCHEMA
)

_INTEGER_HEADER = {"schema": {"type": "integer", "minimum": 0}}
# draft-ietf-httpapi-ratelimit-headers-06: the three fields most clients read.
RATE_LIMIT_HEADERS: dict[str, Any] = {
    "RateLimit-Limit": {
        **_INTEGER_HEADER,
        "description": "Requests allowed in the current window (the caller's throttle).",
    },
    "RateLimit-Remaining": {**_INTEGER_HEADER, "description": "Requests left in the current window."},
    "RateLimit-Reset": {**_INTEGER_HEADER, "description": "Seconds until the window resets."},
    "RateLimit-Policy": {
        "schema": {"type": "string"},
        "description": "The quota policy: requests per window of `w` seconds, e.g. `1200;w=60`.",
    },
}
RETRY_AFTER_HEADER = {
    "Retry-After": {**_INTEGER_HEADER, "description": "Seconds to wait before trying again."}
}
ETAG_HEADER = {
    "ETag": {
        "schema": {"type": "string"},
        "required": True,
        "description": "A weak entity tag of this answer: send it as `If-None-Match` next time.",
    }
}
LOCATION_HEADER = {
    "Location": {
        "schema": {"type": "string", "format": "uri"},
        "required": True,
        "description": "The URL of the resource this request created.",
    }
}


def tags_describe(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Post-processing hook: the tags in use, in ``TAGS``' order, with their descriptions."""
    used = {
        tag
        for methods in result.get("paths", {}).values()
        for op in methods.values()
        for tag in op.get("tags", [])
    }
    result["tags"] = [{"name": name, "description": text} for name, text in TAGS.items() if name in used]
    return result


def raises(*codes: str) -> dict[str, list[str]]:
    """The application errors an operation raises, by catalogue code: ``extend_schema(extensions=…)``."""
    return {ERRORS_EXTENSION: list(codes)}


def error_response(definitions: list[ErrorDefinition]) -> dict[str, Any]:
    """One status's response: its codes listed, and the catalogue's example of each."""
    listed = ", ".join(f"`{definition.code}`" for definition in definitions)
    return {
        "description": f"Codes: {listed}.",
        "content": {
            "application/json": {
                "schema": _ERROR_COMPONENT.ref,
                "examples": {
                    definition.code: {"summary": definition.code, "value": definition.example()}
                    for definition in definitions
                },
            }
        },
    }


class AutoSchema(SpectacularAutoSchema):
    def get_tags(self) -> list[str]:
        for pattern, tag in PATH_TAGS:
            if pattern.match(self.path):
                return [tag]
        warn(f"{self.method} {self.path}: no tag (add the path to core.schema.PATH_TAGS)")
        return []

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        registry.register_on_missing(_ERROR_COMPONENT)
        declared = operation.pop(ERRORS_EXTENSION, [])
        responses: dict[str, Any] = operation["responses"]
        for status in [status for status in responses if status[0] in "45"]:
            del responses[status]  # the catalogue is the one source of error documentation
        by_status: dict[str, list[ErrorDefinition]] = defaultdict(list)
        for code in dict.fromkeys([*self._automatic_error_codes(operation), *declared]):
            if code not in CATALOGUE:
                warn(f"{self.method} {self.path}: error code {code!r} is not in core.errors.CATALOGUE")
                continue
            definition = CATALOGUE.get(code)
            by_status[str(definition.status)].append(definition)
        for status in sorted(by_status):
            responses[status] = error_response(by_status[status])
        # A request line longer than the web server's limit never reaches the application.
        responses["414"] = {"description": "URI too long: refused by the web server, without a JSON body."}
        self._add_headers(responses)
        return operation

    def _automatic_error_codes(self, operation: dict[str, Any]) -> list[str]:
        """What any operation like this one can answer, whatever it does."""
        view = self.view
        codes = ["too_many_parameters", "invalid_characters", "repeated_parameter"]  # core.middleware
        authenticators = view.get_authenticators()
        if authenticators:
            codes.append("authentication_failed")
        if any(not isinstance(permission, AllowAny) for permission in view.get_permissions()):
            codes.append("not_authenticated")
        unsafe = self.method not in ("GET", "HEAD", "OPTIONS")
        if unsafe and any(isinstance(auth, SessionAuthentication) for auth in authenticators):
            codes.append("permission_denied")  # a session without its CSRF token
        if "{" in self.path:
            codes.append("not_found")
        if "requestBody" in operation:
            codes += ["parse_error", "invalid", "request_too_large", "unsupported_media_type"]
            if any(isinstance(parser, MultiPartParser) for parser in view.get_parsers()):
                codes += ["too_many_fields", "too_many_files"]
        if getattr(view, "filterset_class", None) is not None:
            codes.append("invalid")  # a filter value that is not valid (django-filter's form)
        if self.method == "GET" and self._is_list_view():
            paginator = self._get_paginator()
            if paginator is not None:
                codes.append("invalid_pagination")
                if isinstance(paginator, CursorPagination):
                    codes.append("invalid_cursor")
            if any(issubclass(backend, OrderingFilter) for backend in self.get_filter_backends()):
                codes.append("invalid_ordering")
        codes.append("not_acceptable")
        if view.get_throttles():
            codes.append("throttled")
        codes.append("service_unavailable")
        return codes

    def _add_headers(self, responses: dict[str, Any]) -> None:
        throttled = bool(self.view.get_throttles())
        for status, response in responses.items():
            headers = response.setdefault("headers", {})
            if status == "201":
                headers.update(LOCATION_HEADER)
            if throttled and (status.startswith("2") or status == "429"):
                headers.update(RATE_LIMIT_HEADERS)
            if status in ("429", "503"):
                headers.update(RETRY_AFTER_HEADER)
            if "304" in responses and status in ("200", "304"):
                headers.update(ETAG_HEADER)
            if not headers:
                del response["headers"]
