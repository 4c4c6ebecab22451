"""Django's WSGI and ASGI handlers, with requests that cannot fail while they are being built.

Django builds the request object before any middleware runs, outside the code that turns
exceptions into responses, so an error there reaches the web server as a bare 500. Two header
values make that happen:

- a ``charset`` parameter in ``Content-Type`` that names a codec Python knows but that is not a
  character set (``rot13``, ``base64``, ``zlib``, ``undefined``, ``punycode``...): Django adopts it
  and later decodes the query string and form fields with it, which raises ``LookupError`` or
  ``UnicodeError`` instead of the ``UnicodeDecodeError`` it expects;
- any usable ``charset`` together with a long query string: adopting the charset re-decodes
  ``request.GET`` on the spot, so more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` parameters raise
  ``TooManyFieldsSent`` during construction.

These requests ignore such a charset, as Django already ignores one it does not know (the body is
then read as UTF-8), and adopt a usable one without parsing the query string early: middleware
meets ``TooManyFieldsSent`` when it reads ``request.GET``, where it is answered with a 4xx.
"""

from __future__ import annotations

import codecs
from typing import Any

import django
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.utils.http import parse_header_parameters

# Text codecs that are not character sets: they fail on ordinary bytes with errors Django does not
# expect. Codecs that are not text encodings at all are refused by their own flag.
_SPECIAL_TEXT_CODECS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"})


def usable_charset(name: str) -> bool:
    """Whether ``name`` is a character set Django can decode form data and query strings with."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # unknown, or not even a name (an embedded NUL)
        return False
    return bool(getattr(info, "_is_text_encoding", True)) and info.name not in _SPECIAL_TEXT_CODECS


class _SafeContentTypeParams:
    content_type: str | None
    content_params: dict[str, str] | None
    _encoding: str | None

    def _set_content_type_params(self, meta: Any) -> None:
        self.content_type, self.content_params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
        charset = self.content_params.get("charset")
        if charset and usable_charset(charset):
            # The ``encoding`` setter would rebuild request.GET now (see above); nothing is cached yet.
            self._encoding = charset


class SafeWSGIRequest(_SafeContentTypeParams, WSGIRequest):
    pass


class SafeASGIRequest(_SafeContentTypeParams, ASGIRequest):
    pass


class SafeWSGIHandler(WSGIHandler):
    request_class = SafeWSGIRequest


class SafeASGIHandler(ASGIHandler):
    request_class = SafeASGIRequest


def get_wsgi_application() -> SafeWSGIHandler:
    """``django.core.wsgi.get_wsgi_application`` with the safe request class."""
    django.setup(set_prefix=False)
    return SafeWSGIHandler()


def get_asgi_application() -> SafeASGIHandler:
    """``django.core.asgi.get_asgi_application`` with the safe request class."""
    django.setup(set_prefix=False)
    return SafeASGIHandler()
