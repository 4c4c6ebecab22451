from django.urls import path

from cases.api import webhooks

urlpatterns = [
    path("webhooks/", webhooks.WebhookListCreateApi.as_view(), name="webhooks"),
    path("webhooks/<id:webhook_id>/", webhooks.WebhookDetailApi.as_view(), name="webhook-detail"),
    path(
        "webhooks/<id:webhook_id>/rotate-secret/",
        webhooks.WebhookSecretRotateApi.as_view(),
        name="webhook-rotate-secret",
    ),
    path("webhooks/<id:webhook_id>/test/", webhooks.WebhookTestApi.as_view(), name="webhook-test"),
    path(
        "webhooks/<id:webhook_id>/deliveries/",
        webhooks.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
]
