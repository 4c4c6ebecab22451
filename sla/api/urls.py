from django.urls import path

from sla.api.views import SlaPolicyListApi

urlpatterns = [path("sla/policies/", SlaPolicyListApi.as_view(), name="sla-policies")]
