from pathlib import Path

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_openapi_schema_is_valid_and_generates_without_warnings(tmp_path: Path):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert "/api/v1/authorization-requests/{request_id}/approve/" in target.read_text()


def test_swagger_ui_is_served_without_a_cdn(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html
