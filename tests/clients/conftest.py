from __future__ import annotations

import pytest


@pytest.fixture
def server(live_server, settings) -> str:
    """The live server running the production request handler (core.handlers), plain HTTP: its
    middleware is built afresh, after the test settings (no HTTPS redirect) apply."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    from core.handlers import SafeWSGIHandler

    settings.SECURE_SSL_REDIRECT = False
    live_server.thread.httpd.set_app(StaticFilesHandler(SafeWSGIHandler()))
    return str(live_server.url)
