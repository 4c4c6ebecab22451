from django.urls import path

from notifications.api import views

urlpatterns = [
    path("inbound-email/", views.InboundEmailApi.as_view(), name="inbound-email"),
]
