"""OpenAPI post-processing: every operation documents the JSON error contract for the statuses it
can answer, so clients (and contract fuzzers) know every 4xx body is ``{"code", "detail"}``."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every 4xx answer. `code` is stable and machine-readable; `detail` is for people.",
    "properties": {
        "code": {"type": "string", "example": "not_found"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": True,
            "description": "Validation errors per field: lists of {code, message}.",
        },
    },
    "required": ["code", "detail"],
    "additionalProperties": True,
}

_COMMON = {
    "400": "Invalid input (`invalid` with per-field `errors`, `parse_error` for a body that is not "
    "well-formed, or a rule's own code).",
    "401": "`not_authenticated` or `authentication_failed`.",
    "403": "`permission_denied` or a rule's code (`dsu_required`, `not_company_manager`, …).",
    "404": "`not_found`: missing, or not yours to see.",
    "405": "`method_not_allowed`.",
    "406": "`not_acceptable`.",
    "415": "`unsupported_media_type` (or an attachment's `unsupported_file_type`).",
    "429": "`throttled`, with `Retry-After`.",
}
# Answered by the web server in front of the application, so without the JSON body.
_SERVER = {"414": "URI too long (refused by the web server)."}
_WRITES = {
    "409": "`conflict` or a state rule's code (`invalid_transition`, `reopen_window_expired`, …).",
    "413": "`request_too_large` (with `max_bytes`), `too_many_fields` (`max_fields`), "
    "`too_many_files` (`max_files`).",
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            statuses = dict(_COMMON, **(_WRITES if method != "get" else {}))
            for status, description in statuses.items():
                entry = responses.setdefault(status, {"description": description})
                if not entry.get("content"):
                    entry["content"] = error_content
            for status, entry in responses.items():
                if status.startswith(("4", "5")) and not entry.get("content"):
                    entry["content"] = error_content
            for status, description in _SERVER.items():
                responses.setdefault(status, {"description": description})
    return result
