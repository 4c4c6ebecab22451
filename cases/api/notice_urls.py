"""The API of what cases tell the outside: a company's webhook endpoints, the satisfaction survey."""

from django.urls import path

from cases.api import surveys, webhooks

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
    path("surveys/<str:token>/answer/", surveys.SurveyAnswerApi.as_view(), name="survey-answer"),
]
