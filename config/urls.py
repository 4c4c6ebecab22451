from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from core.docs import ApiDocsView
from core.views import HealthApi, api_bad_request, api_not_found, api_server_error

api_v1 = [
    path("", include("core.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("status.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("sla.api.urls")),
    path("", include("notifications.api.urls")),
]

urlpatterns = [
    path("healthz", HealthApi.as_view(), name="health"),
    path("api/v1/", include(api_v1)),
    path("status/", include("status.urls")),
    path("surveys/", include("notifications.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]

handler400 = api_bad_request
handler404 = api_not_found
handler500 = api_server_error
