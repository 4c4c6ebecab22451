from django.contrib import admin
from django.urls import include, path

from core.docs import ApiDocsView, SchemaApi
from core.observability.metrics import metrics_view
from core.views import HealthApi, api_bad_request, api_not_found, api_server_error
from inbound.api.providers import anymail_inbound

api_v1 = [
    path("", include("core.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("status.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("sla.api.urls")),
    path("", include("cases.api.notice_urls")),
    path("", include("inbound.api.urls")),
    path("", include("reports.api.urls")),
]

urlpatterns = [
    path("healthz", HealthApi.as_view(), name="health"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include(api_v1)),
    path("status/", include("status.urls")),
    path("surveys/", include("cases.survey_urls")),
    # django-anymail's inbound webhooks (Mailgun posts raw MIME to a URL containing "mime").
    path("inbound/anymail/<str:provider>/", anymail_inbound, name="anymail-inbound"),
    path("inbound/anymail/<str:provider>/mime/", anymail_inbound, name="anymail-inbound-mime"),
    path("api/schema/", SchemaApi.as_view(), name="schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]

handler400 = api_bad_request
handler404 = api_not_found
handler500 = api_server_error
