"""The satisfaction survey's page (mounted at ``surveys/``)."""

from django.urls import path

from cases import survey_pages

urlpatterns = [
    path("<str:token>/", survey_pages.survey_page, name="survey-page"),
]
