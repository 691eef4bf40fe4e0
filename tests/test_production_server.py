"""The production server as `make serve` starts it: gunicorn with DEBUG off, a Celery worker and
beat, on a fresh SQLite file with collected static files, behind a TLS-terminating proxy (the
test plays the proxy: it sends X-Forwarded-Proto). Started once; the health endpoint answers over
plain HTTP, a member signs in, sees the dashboard with the security headers, calls the API, and
every line the processes wrote is JSON, a request's with its request id.

Everything runs in processes of its own with an environment of its own, so the test is the
same on both CI passes; HTTP goes through the standard library alone.
"""

from __future__ import annotations

import base64
import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyotp
import pytest
from django.core.management import CommandError, call_command

from monitoring.management.commands.serve import GRACE_SECONDS

from .celery_support import wait_for
from .settings_support import production_secrets

pytestmark = pytest.mark.production

PROJECT = Path(__file__).resolve().parent.parent
USERNAME, PASSWORD = "prod.caseworker", "a long sign-in passphrase 2026"
# The organisation requires two factors (the default): sign-in continues at `accounts:verify`
# with a code from the member's authenticator app.
# The authenticator app's secret of the member (hex, as django-otp stores it).
TOTP_KEY = "3132333435363738393031323334353637383930"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AcceptSecureCookies(http.cookiejar.DefaultCookiePolicy):
    """The proxy in front speaks HTTPS to the browser: the test, standing in for both, sends
    the Secure cookies back over its plain connection to the app."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A client with cookies, behind the proxy (X-Forwarded-Proto: https) unless told not."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar(policy=AcceptSecureCookies())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects())

    def request(self, path: str, *, data: dict | None = None, proxied: bool = True,
                headers: dict | None = None):
        headers = {**({"X-Forwarded-Proto": "https"} if proxied else {}), **(headers or {})}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            # What the browser sends with a form: the page's origin, as the proxy received it.
            headers["Origin"] = self.base.replace("http://", "https://")
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read().decode()

    def cookie(self, name: str) -> http.cookiejar.Cookie:
        return next(cookie for cookie in self.cookies if cookie.name == name)


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _totp_now() -> str:
    return pyotp.TOTP(base64.b32encode(bytes.fromhex(TOTP_KEY)).decode()).now()


def second_factor(browser: Browser, after_password: tuple) -> tuple:
    """The second step of signing in: past the password, the dashboard sends the member to
    `accounts:verify`; a TOTP code from the member's authenticator app, on to the dashboard."""
    status, headers, _ = after_password
    assert status == 302 and headers["Location"] == "/", headers
    status, headers, _ = browser.request("/")
    assert status == 302 and headers["Location"] == "/accounts/verify/?next=%2F", headers
    status, _, page = browser.request("/accounts/verify/?next=%2F")
    assert status == 200
    return browser.request("/accounts/verify/", data={
        "csrfmiddlewaretoken": _csrf_token(page), "code": _totp_now()})


def _prepare(environment: dict) -> None:
    """As `make serve` does before it serves, then an organisation and a member in it: the
    commands in one process (each Django start-up takes seconds)."""
    commands = [
        ("collectstatic", "--noinput"),
        ("migrate", "--noinput"),
        ("create_organisation", "ngo-prod", "--name", "NGO in production", "--kind", "ngo",
         "--country", "FR"),
        ("create_member", USERNAME, "--organisation", "ngo-prod", "--role", "caseworker",
         "--password", PASSWORD),
    ]
    script = ("import sys, django; django.setup()\n"
              "from django.core.management import call_command\n"
              f"for command in {commands!r}: call_command(*command)\n"
              "from django.contrib.auth import get_user_model\n"
              "from django_otp.plugins.otp_totp.models import TOTPDevice\n"
              f"TOTPDevice.objects.create(user=get_user_model().objects.get(username="
              f"{USERNAME!r}), name='app', key={TOTP_KEY!r}, confirmed=True)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, env=environment,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def environment(tmp_path) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG",
            "SECURE_SSL_REDIRECT", "LOG_FORMAT", "LOG_LEVEL", "PYTEST_XDIST_WORKER",
            "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **{k: v for k, v in os.environ.items() if k not in drop},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        **production_secrets(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "TLS_PROXY_HEADER": "X-Forwarded-Proto",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "BROKER_FOLDER": str(tmp_path / "broker"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "STATIC_ROOT": str(tmp_path / "static"),
        # Compression is the slow part of collectstatic, and the test reads no compressed file.
        "STATIC_COMPRESS": "false",
        "WEB_CONCURRENCY": "1",
    }


# Celery prints this to the terminal on SIGTERM, outside its log (celery/apps/worker.py).
CELERY_SHUTDOWN = re.compile(r"^worker: (Warm|Cold) shutdown \(MainProcess\)$")


def _lines(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines()
            if line.strip() and not CELERY_SHUTDOWN.match(line)]


def test_the_production_server_serves_signs_in_and_logs_json_lines(environment, tmp_path):
    _prepare(environment)
    port, log = _free_port(), tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--production", f"127.0.0.1:{port}"],
            cwd=PROJECT, env=environment, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    browser = Browser(f"http://127.0.0.1:{port}")
    try:
        def healthy():
            with contextlib.suppress(OSError):
                return browser.request("/health/", proxied=False)[0] == 200
            return False

        wait_for(healthy, timeout=60, what="the production server",
                 describe=lambda: log.read_text(errors="replace"))
        _walk(browser)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=GRACE_SECONDS + 10)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
    _check_the_log(_lines(log))


def _walk(browser: Browser) -> None:
    # The load balancer's probe: plain HTTP, no sign-in.
    status, headers, body = browser.request("/health/", proxied=False)
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["status"] == "ok"
    # A page over plain HTTP is sent to HTTPS.
    status, headers, _ = browser.request("/", proxied=False)
    assert status == 301 and headers["Location"] == f"{browser.base.replace('http', 'https')}/"

    status, _, page = browser.request("/accounts/login/")
    assert status == 200
    answer = browser.request("/accounts/login/", data={
        "csrfmiddlewaretoken": _csrf_token(page), "username": USERNAME, "password": PASSWORD})
    status, headers, _ = second_factor(browser, answer)
    assert status == 302 and headers["Location"] == "/", (status, dict(headers))
    assert browser.cookie("sessionid").secure and browser.cookie("csrftoken").secure

    status, headers, page = browser.request("/", headers={"X-Request-ID": "prod-test-dashboard"})
    assert status == 200 and USERNAME in page
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload")
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["X-Request-ID"] == "prod-test-dashboard"
    # The collected, hashed stylesheet, served by the app itself.
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]+\.css)"', page).group(1)
    assert browser.request(stylesheet)[0] == 200

    status, headers, body = browser.request("/api/v1/me/", headers={"Accept": "application/json"})
    assert status == 200, body
    assert json.loads(body)["username"] == USERNAME


def _check_the_log(lines: list[str]) -> None:
    assert lines
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a log line is not JSON: {line!r}\n" + "\n".join(lines))
    for entry in entries:
        assert {"time", "level", "logger", "message", "request_id"} <= entry.keys(), entry
    requests = [e for e in entries if e["logger"] == "extradition_monitor.request"]
    dashboard = [e for e in requests if e["path"] == "/" and e["status"] == 200]
    assert dashboard and dashboard[0]["request_id"] == "prod-test-dashboard", requests
    assert dashboard[0]["method"] == "GET" and dashboard[0]["status"] == 200
    assert all(e["request_id"] for e in requests)
    assert {"/accounts/login/", "/api/v1/me/"} <= {e["path"] for e in requests}
    # The probes are not logged: a load balancer sends one every few seconds.
    assert not [e for e in requests if e["path"] == "/health/"]
    assert any(e["logger"] == "gunicorn.error" for e in entries)


def test_the_production_server_refuses_to_start_with_debug_on(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="DEBUG=false"):
        call_command("serve", "127.0.0.1:0", production=True)
