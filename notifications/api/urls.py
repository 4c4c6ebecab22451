from django.urls import path

from notifications.api import views

urlpatterns = [
    path("webhooks/", views.WebhookListCreateApi.as_view(), name="webhooks"),
    path("webhooks/<id:webhook_id>/", views.WebhookDetailApi.as_view(), name="webhook-detail"),
    path(
        "webhooks/<id:webhook_id>/rotate-secret/",
        views.WebhookSecretRotateApi.as_view(),
        name="webhook-rotate-secret",
    ),
    path("webhooks/<id:webhook_id>/test/", views.WebhookTestApi.as_view(), name="webhook-test"),
    path(
        "webhooks/<id:webhook_id>/deliveries/",
        views.WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path("surveys/<str:token>/answer/", views.SurveyAnswerApi.as_view(), name="survey-answer"),
]
