"""The API's JSON parser: any body either parses into plain, bounded JSON or is a 400 ``parse_error``.

DRF's own parser lets through what later breaks the request with a 500: nesting deep enough to
exhaust the interpreter's stack (``RecursionError``), lone UTF-16 surrogates (``"\\ud800"``: valid
JSON escapes that no UTF-8 encoder, database or renderer accepts), numbers too large to be finite
(``1e400`` parses as infinity, which the renderer refuses). This parser refuses those as it parses,
and bounds how deep a document may nest (``REQUEST_JSON_MAX_DEPTH``). Integers too large for a
column stay well-formed JSON: the input serializers refuse them per field (``core.api.serializers``),
and Python refuses those of more than 4,300 digits while parsing.

It reads the body itself, at most the view's limit (``core.limits``): DRF hands its own
``JSONParser`` (and subclasses) ``request.body``, which Django caps at ``DATA_UPLOAD_MAX_MEMORY_SIZE``
for every view alike, and so would leave an endpoint with a larger declared limit unable to use it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from core.limits import request_body_max_bytes, request_too_large

# DRF 3.18's charset check (text encodings only), newer than its type stubs.
get_encoding: Callable[[Mapping[str, Any]], str] = getattr(parsers, "get_encoding")  # noqa: B009


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large")
    return value


def _too_deep(max_depth: int) -> str:
    return _("JSON parse error - nested deeper than %(max_depth)s levels.") % {"max_depth": max_depth}


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError(
            _(
                "JSON parse error - a string contains a lone UTF-16 surrogate (%(escape)s), which is not a character."
            )
            % {"escape": f"\\u{ord(text[exc.start]):04x}"}
        ) from None


def check_structure(data: Any, *, max_depth: int) -> None:
    """Refuse nesting deeper than ``max_depth`` containers and strings that are not Unicode text.

    Iterative, so a document that parsed cannot exhaust the stack here either."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, Mapping | list):
            if depth > max_depth:
                raise ParseError(_too_deep(max_depth))
            if isinstance(value, Mapping):
                for key, item in value.items():
                    _check_text(key)
                    pending.append((item, depth + 1))
            else:
                pending.extend((item, depth + 1) for item in value)


class JSONParser(BaseParser):
    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parser_context = parser_context or {}
        limit = request_body_max_bytes(parser_context.get("view"))
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise request_too_large(limit)
        encoding = get_encoding(parser_context)  # the request's charset, if it is a text encoding
        max_depth = int(settings.REQUEST_JSON_MAX_DEPTH)
        try:
            data = json.loads(
                raw.decode(encoding),
                parse_constant=_refuse_constant,
                parse_float=_finite_float,
            )
        except RecursionError:
            raise ParseError(_too_deep(max_depth)) from None
        except ValueError as exc:  # includes UnicodeDecodeError and json.JSONDecodeError
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None
        check_structure(data, max_depth=max_depth)
        return data
