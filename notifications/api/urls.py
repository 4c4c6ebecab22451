from django.urls import path

from notifications.api import views

urlpatterns = [
    path("surveys/<str:token>/answer/", views.SurveyAnswerApi.as_view(), name="survey-answer"),
    path("inbound-email/", views.InboundEmailApi.as_view(), name="inbound-email"),
]
