"""Files on replies and notes from the workspace: the API's limits and type checks, all files checked
before anything is written, and nothing written when one is refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Attachment, CaseEvent, CaseStatus, Comment
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


def said(response):
    return [str(message) for message in response.context["messages"]]


def test_a_reply_carries_several_files_on_its_comment(analyst_client, media):
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)

    response = analyst_client.post(
        reverse("admin:cases_case_reply", args=[case.pk]),
        {
            "body": "Here are the screenshots.",
            "attachments": [
                SimpleUploadedFile("before.png", PNG, "image/png"),
                SimpleUploadedFile("steps.txt", b"1. open\n2. post", "text/plain"),
            ],
        },
        follow=True,
    )

    comment = Comment.objects.get(case=case)
    files = list(comment.attachments.order_by("filename"))
    assert [(f.filename, f.content_type, f.size) for f in files] == [
        ("before.png", "image/png", len(PNG)),
        ("steps.txt", "text/plain", 15),
    ]
    assert all((media / f.file.name).exists() for f in files)
    assert said(response) == [f"{case.number}: public reply sent; 2 files attached."]
    assert CaseEvent.objects.filter(case=case, type=CaseEvent.Type.ATTACHMENT_ADDED).count() == 2
    html = response.content.decode()
    assert "before.png" in html and reverse("case-attachment-download", args=[case.pk, files[0].pk]) in html


def test_a_note_carries_an_internal_file(analyst_client):
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)

    analyst_client.post(
        reverse("admin:cases_case_note", args=[case.pk]),
        {
            "body": "Log from the customer's call.",
            "attachments": [SimpleUploadedFile("call.log", b"x", "text/plain")],
        },
    )

    attachment = Attachment.objects.get(case=case)
    assert attachment.is_internal and attachment.comment.body == "Log from the customer's call."
    assert CaseEvent.objects.get(case=case, type=CaseEvent.Type.ATTACHMENT_ADDED).is_internal


@pytest.mark.parametrize(
    ("name", "content", "refusal"),
    [
        ("tool.exe", b"MZ", "'tool.exe' is not an accepted file type."),
        ("shot.png", b"MZ\x90\x00not a png", "'shot.png' does not contain what its name says (image/png)."),
        ("big.txt", b"x" * 2049, "'big.txt' is 2,049 bytes; the limit is 2,048 bytes."),
    ],
)
def test_a_refused_file_refuses_the_whole_reply_and_keeps_the_text(
    analyst_client, settings, name, content, refusal
):
    settings.ATTACHMENT_MAX_BYTES = 2048
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)

    response = analyst_client.post(
        reverse("admin:cases_case_reply", args=[case.pk]),
        {
            "body": "See attached.",
            "attachments": [
                SimpleUploadedFile("fine.txt", b"ok", "text/plain"),
                SimpleUploadedFile(name, content),
            ],
        },
    )

    assert response.status_code == 200
    assert said(response)[0].startswith(f"Reply not sent: {refusal}")
    assert response.context["reply_form"]["body"].value() == "See attached."
    assert not Comment.objects.filter(case=case).exists()
    assert not Attachment.objects.filter(case=case).exists()


def test_the_reply_accepts_a_body_as_large_as_the_api_upload_and_no_larger(analyst_client, settings):
    settings.ATTACHMENT_MAX_BYTES = 4096
    settings.REQUEST_BODY_MAX_BYTES = 2048
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)
    url = reverse("admin:cases_case_reply", args=[case.pk])

    fits = analyst_client.post(
        url, {"body": "ok", "attachments": [SimpleUploadedFile("a.txt", b"x" * 4000, "text/plain")]}
    )
    too_large = analyst_client.post(
        url, {"body": "big", "attachments": [SimpleUploadedFile("b.txt", b"x" * 7000, "text/plain")]}
    )

    assert fits.status_code == 302 and Attachment.objects.get(case=case).size == 4000
    assert too_large.status_code == 413  # refused from Content-Length (core.limits), before reading
    assert Comment.objects.filter(case=case).count() == 1


def test_the_workspace_tells_the_browser_the_limit_and_types(analyst_client, settings):
    settings.ATTACHMENT_MAX_BYTES = 1234
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 7
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)

    html = analyst_client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()

    assert 'id="id_reply_attachments" multiple data-max-bytes="1234" data-max-files="7"' in html
    assert 'id="id_note_attachments" multiple data-max-bytes="1234" data-max-files="7"' in html
    assert 'accept=".csv,.gif,.har,' in html


def test_a_refused_file_refuses_the_whole_note_and_keeps_the_text(analyst_client):
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)

    response = analyst_client.post(
        reverse("admin:cases_case_note", args=[case.pk]),
        {
            "body": "Customer's dump attached.",
            "attachments": [
                SimpleUploadedFile("fine.log", b"ok", "text/plain"),
                SimpleUploadedFile("dump.exe", b"MZ"),
            ],
        },
    )

    assert response.status_code == 200
    assert said(response)[0].startswith("Note not saved: 'dump.exe' is not an accepted file type.")
    assert response.context["note_form"]["body"].value() == "Customer's dump attached."
    assert not Comment.objects.filter(case=case).exists()
    assert not Attachment.objects.filter(case=case).exists()


@pytest.mark.parametrize("action", ["reply", "note"])
def test_more_files_than_the_api_accepts_are_refused_before_anything_is_written(
    analyst_client, settings, action
):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    case = CaseFactory(status=CaseStatus.IN_PROGRESS)

    response = analyst_client.post(
        reverse(f"admin:cases_case_{action}", args=[case.pk]),
        {
            "body": "Three logs.",
            "attachments": [SimpleUploadedFile(f"{n}.log", b"x", "text/plain") for n in range(3)],
        },
    )

    # Django's own refusal while reading the form (the admin's HTML 400 page, as for every admin
    # form); the workspace script stops such a form in the browser before it is sent.
    assert response.status_code == 400
    assert not Comment.objects.filter(case=case).exists()
    assert not Attachment.objects.filter(case=case).exists()
