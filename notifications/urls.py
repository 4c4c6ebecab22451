"""Top-level, non-API notification pages (mounted at ``surveys/``)."""

from django.urls import path

from notifications import views

urlpatterns = [
    path("<str:token>/", views.survey_page, name="survey-page"),
]
