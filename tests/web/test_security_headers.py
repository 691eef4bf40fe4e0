"""The headers that hold the browser to the application's own code and features, and the
production settings that Django's deployment check holds to its list.

(Every response a web test gets is checked for the CSP by tests/conftest.py; this module adds
the pages no other web test visits, and the exact policy.)"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from ..factories import sign_in_with_two_factors
from ..settings_support import SECRET_NAMES, production_secrets

ROOT = Path(__file__).resolve().parents[2]

POLICY = {"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
          "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'self'",
          "frame-ancestors 'none'", "form-action 'self'"}


def _signed_in(user) -> Client:
    """Signed in past the second factor (platform staff always need one)."""
    client = Client()
    sign_in_with_two_factors(client, user)
    return client


def test_the_policy_allows_our_own_files_only(db):
    response = Client().get("/accounts/login/")
    assert set(response["Content-Security-Policy"].split("; ")) == POLICY
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()",
                    "publickey-credentials-get=(self)", "publickey-credentials-create=(self)"):
        assert feature in permissions
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", [
    "/api/docs/", "/api/docs/?script=", "/api/schema/", "/api/v1/me/", "/admin/",
    "/admin/cases/case/", "/admin/cases/organisation/add/", "/health/", "/no-such-page/",
    "/static/css/app.css",
])
def test_pages_outside_the_application_carry_the_policy_too(world, path):
    response = _signed_in(world.staff).get(path)
    assert response.status_code in (200, 404, 503), path


def test_the_api_documentation_loads_its_script_from_a_url(world):
    page = _signed_in(world.staff).get("/api/docs/").content.decode()
    assert "<script>" not in page and "<style>" not in page
    assert '<script src="/api/docs/?script="></script>' in page


def _deploy_check(**env) -> subprocess.CompletedProcess:
    # Not the browser test's DJANGO_ALLOW_ASYNC_UNSAFE, set when pytest imports it.
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("SECURE_", "SESSION_", "CSRF_")) and k not in (
                "DEBUG", *SECRET_NAMES, "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE",
                "DJANGO_ALLOW_ASYNC_UNSAFE", "LOG_FORMAT")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**keep, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false",
             **production_secrets(), "ALLOWED_HOSTS": "monitor.example.org",
             "TLS_PROXY_HEADER": "X-Forwarded-Proto", **env},
    )


def test_production_settings_pass_the_deployment_check():
    result = _deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_deployment_check_sees_a_production_setting_turned_off():
    result = _deploy_check(SECURE_SSL_REDIRECT="false")
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr
