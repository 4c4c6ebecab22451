from django.urls import path

from notifications.api import views

urlpatterns = [
    path("webhooks/", views.WebhookListCreateApi.as_view(), name="webhooks"),
    path("webhooks/<id:webhook_id>/", views.WebhookDetailApi.as_view(), name="webhook"),
    path("surveys/<str:token>/answer/", views.SurveyAnswerApi.as_view(), name="survey-answer"),
    path("inbound-email/", views.InboundEmailApi.as_view(), name="inbound-email"),
]
