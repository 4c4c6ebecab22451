from django.urls import path

from core.api.views import ApiRootApi

urlpatterns = [
    path("", ApiRootApi.as_view(), name="api-root"),
]
