"""A URLconf with a view that fails, for tests of what a server error looks like from outside."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from core.views import api_not_found, api_server_error


def failing_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the view failed on purpose")


urlpatterns = [
    path("api/v1/failing/", failing_view),
    path("", include("config.urls")),
]

handler404 = api_not_found
handler500 = api_server_error
