"""The Swagger UI page at ``/api/docs/``, under the site's security headers.

drf-spectacular's view answers ``Cross-Origin-Opener-Policy: unsafe-none`` so an OAuth2 login popup
can talk back to it; Casedesk authenticates with tokens and sessions, never OAuth2, so the page
keeps the site's ``same-origin``. Its inline script and style carry the request's CSP nonce
(``templates/drf_spectacular/swagger_ui.html``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response


class ApiDocsView(SpectacularSwaggerView):
    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        del response.headers["Cross-Origin-Opener-Policy"]  # SecurityMiddleware sets the site's
        return response
