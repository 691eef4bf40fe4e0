import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_settings(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )


def test_production_without_secret_key_refuses_to_start():
    result = _load_settings(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_with_secret_key_starts():
    result = _load_settings(DEBUG="false", SECRET_KEY="x" * 60, ALLOWED_HOSTS="example.org")
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_api_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "drf_spectacular_sidecar" in page
    assert "cdn.jsdelivr.net" not in page


@pytest.mark.django_db
def test_schema_lists_the_case_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/cases/{id}/transition/" in paths
    assert "/api/v1/audit-events/" in paths


def test_request_id_is_echoed_and_generated(client, db):
    response = client.get("/api/v1/me/", HTTP_X_REQUEST_ID="abcdef12-req")
    assert response["X-Request-ID"] == "abcdef12-req"
    response = client.get("/api/v1/me/", HTTP_X_REQUEST_ID="bad id with spaces")
    assert len(response["X-Request-ID"]) == 32
