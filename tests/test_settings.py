import os
import subprocess
import sys
from pathlib import Path

import pytest

from .settings_support import SECRET_NAMES, production_secrets

ROOT = Path(__file__).resolve().parent.parent


def _load_settings(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in (*SECRET_NAMES, "DEBUG")}
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
    result = _load_settings(DEBUG="false", ALLOWED_HOSTS="example.org", **production_secrets())
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", ["FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY",
                                     "CELL_KEY_SECRET"])
def test_production_without_encryption_keys_refuses_to_start(missing):
    given = {k: v for k, v in production_secrets().items() if k != missing}
    result = _load_settings(DEBUG="false", ALLOWED_HOSTS="example.org", **given)
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_a_malformed_encryption_key_is_refused_with_what_a_key_is():
    result = _load_settings(DEBUG="false", ALLOWED_HOSTS="example.org",
                            **{**production_secrets(), "FIELD_ENCRYPTION_KEYS": "short"})
    assert result.returncode != 0
    assert "32 random bytes in URL-safe base64" in result.stderr


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


def _cache_backend(**env) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         " c = settings.CACHES['default']; print(c['BACKEND'], c['LOCATION'])"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_counters_live_in_a_cache_every_process_shares():
    assert _cache_backend() == "django.core.cache.backends.db.DatabaseCache em_cache"
    assert _cache_backend(REDIS_URL="redis://127.0.0.1:6379/3") == (
        "django.core.cache.backends.redis.RedisCache redis://127.0.0.1:6379/3")
    assert _cache_backend(REDIS_URL="redis://127.0.0.1:6379/3",
                          CACHE_URL="redis://10.0.0.9:6379/4") == (
        "django.core.cache.backends.redis.RedisCache redis://10.0.0.9:6379/4")


def test_a_test_process_removes_its_media_folder_when_it_ends():
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         " import os; assert os.path.isdir(settings.MEDIA_ROOT); print(settings.MEDIA_ROOT)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert not Path(result.stdout.strip()).exists()


@pytest.mark.parametrize("size", ["64", "64 MB", "-1MB", "1TB", "64MB; DROP TABLE x"])
def test_a_malformed_work_mem_is_refused_with_what_it_should_be(size):
    result = _load_settings(DATABASE_WORK_MEM=size)
    assert result.returncode != 0
    assert "DATABASE_WORK_MEM is a size such as 64MB" in result.stderr


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit_and_with_the_work_mem_set():
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the settings of a PostgreSQL connection")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), current_setting('work_mem')")
        assert cursor.fetchone() == ("off", settings.DATABASE_WORK_MEM)
