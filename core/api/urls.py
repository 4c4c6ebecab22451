from django.urls import path

from core.api.views import ApiRootApi, TokenObtainApi

urlpatterns = [
    path("", ApiRootApi.as_view(), name="api-root"),
    path("auth/token/", TokenObtainApi.as_view(), name="auth-token"),
]
