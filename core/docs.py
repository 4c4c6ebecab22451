"""The Swagger UI page at ``/api/docs/``, under the site's security headers.

drf-spectacular's view answers ``Cross-Origin-Opener-Policy: unsafe-none`` so an OAuth2 login popup
can talk back to it; Casedesk authenticates with tokens and sessions, never OAuth2, so the page
keeps the site's ``same-origin``. Its inline script and style carry the request's CSP nonce
(``templates/drf_spectacular/swagger_ui.html``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils import translation
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.request import Request
from rest_framework.response import Response


class ApiDocsView(SpectacularSwaggerView):
    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        del response.headers["Cross-Origin-Opener-Policy"]  # SecurityMiddleware sets the site's
        return response


class SchemaApi(SpectacularAPIView):
    """``/api/schema/``: the OpenAPI document, generated once per process and language. It changes
    only with the code, and generating it walks every view (seconds on a busy machine: long enough
    for clients and the contract fuzzer to time out waiting)."""

    _generated: ClassVar[dict[tuple[str | None, str], dict[str, Any]]] = {}

    def _get_schema_response(self, request: Request) -> Response:
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (version, translation.get_language())
        schema = SchemaApi._generated.get(key)
        if schema is None:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            schema = SchemaApi._generated[key] = generator.get_schema(
                request=request, public=self.serve_public
            )
        filename = self._get_filename(request, version)
        return Response(data=schema, headers={"Content-Disposition": f'inline; filename="{filename}"'})
