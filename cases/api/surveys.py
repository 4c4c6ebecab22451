"""The satisfaction survey's API, for programs (the token in the e-mail is the key; no login)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import SatisfactionSurvey
from cases.surveys import survey_answer, survey_get_by_token
from core.api.serializers import InputSerializer, OutputModelSerializer
from core.errors import NotFound


class SurveyAnswerInputSerializer(InputSerializer):
    rating = serializers.ChoiceField(choices=SatisfactionSurvey.Rating.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class SurveyOutputSerializer(OutputModelSerializer):
    case_number = serializers.CharField(source="case.number")

    class Meta:
        model = SatisfactionSurvey
        fields = ["case_number", "rating", "comment", "answered_at"]


class SurveyAnswerApi(APIView):
    """The satisfaction survey sent when a case closed, for programs (the token in the e-mail is the
    key). People answer on the page the e-mail links to (``/surveys/{token}/``); neither records on GET."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def _survey(self, token: str) -> SatisfactionSurvey:
        survey = survey_get_by_token(token=token)
        if survey is None:
            raise NotFound(_("Survey not found."))
        return survey

    @extend_schema(
        operation_id="surveys_read",
        summary="Read a satisfaction survey",
        responses={200: SurveyOutputSerializer},
        description="The survey and its answer so far. Reading records nothing: mail scanners open links.",
    )
    def get(self, request: Request, token: str) -> Response:
        return Response(SurveyOutputSerializer(self._survey(token)).data)

    @extend_schema(
        operation_id="surveys_answer",
        summary="Answer a satisfaction survey",
        request=SurveyAnswerInputSerializer,
        responses={200: SurveyOutputSerializer},
        description="Record the rating and an optional comment (answering again replaces the answer).",
    )
    def post(self, request: Request, token: str) -> Response:
        data = SurveyAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            SurveyOutputSerializer(survey_answer(survey=self._survey(token), **data.validated_data)).data
        )
