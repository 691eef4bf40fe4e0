"""The console log as a newcomer reads it: each record once, on one line; tracebacks for 5xx.
In production (LOG_FORMAT=json) a JSON object per line, with the request's id, and a line per
request."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.utils.log import configure_logging

from cases.views.account import SwitchOrganisation

from .settings_support import production_secrets

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def console(settings, monkeypatch):
    """The console as `make run` configures it (DEBUG on), written into a buffer."""
    settings.DEBUG = True
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    yield stream
    monkeypatch.undo()
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def test_a_page_not_found_is_one_line(console, db):
    assert Client().get("/no-such-page/").status_code == 404
    assert console.getvalue().count("\n") == 1
    assert "WARNING django.request: Not Found: /no-such-page/" in console.getvalue()


def test_a_right_refused_is_one_line(console, world):
    client = Client()
    client.force_login(world.fr_liaison)
    assert client.get("/cases/new/").status_code == 403
    lines = console.getvalue().splitlines()
    assert len(lines) == 1 and "Forbidden (Permission denied): /cases/new/" in lines[0]


def test_a_server_error_keeps_its_traceback_once(console, world, monkeypatch):
    def broken(self, request):
        raise RuntimeError("the switch broke")

    monkeypatch.setattr(SwitchOrganisation, "post", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.fr_caseworker)
    assert client.post("/organisation/switch/").status_code == 500
    output = console.getvalue()
    assert output.count("ERROR django.request: Internal Server Error") == 1
    assert output.count("Traceback (most recent call last)") == 1
    assert "RuntimeError: the switch broke" in output


def test_the_development_servers_request_lines_are_shown_once(console):
    logging.getLogger("django.server").info('"GET / HTTP/1.1" 200 512',
                                            extra={"status_code": 200})
    assert console.getvalue().count('INFO django.server: "GET / HTTP/1.1" 200 512') == 1
    assert console.getvalue().count("\n") == 1


@pytest.fixture
def json_console(settings, monkeypatch):
    """The console as production configures it: JSON lines, a line per request."""
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    logging_config = {**settings.LOGGING, "loggers": {
        **settings.LOGGING["loggers"], "extradition_monitor.request": {"level": "INFO"}}}
    logging_config["handlers"] = {"console": {**logging_config["handlers"]["console"],
                                              "formatter": "json"}}
    configure_logging(settings.LOGGING_CONFIG, logging_config)
    yield stream
    monkeypatch.undo()
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def _entries(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_request_is_one_json_line_with_its_id(json_console, db):
    response = Client().get("/accounts/login/?next=/cases/%3Fq%3DWen",
                            HTTP_X_REQUEST_ID="req-12345678")
    assert response.status_code == 200
    [entry] = _entries(json_console)
    assert entry["logger"] == "extradition_monitor.request" and entry["level"] == "INFO"
    assert entry["request_id"] == "req-12345678"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/accounts/login/", 200)
    assert entry["duration_ms"] >= 0 and entry["time"].endswith("+00:00")
    # The query string, which may name a person, is not logged.
    assert "Wen" not in json_console.getvalue()


def test_a_page_not_found_is_json_lines_with_one_request_id(json_console, db):
    response = Client().get("/no-such-page/")
    entries = _entries(json_console)
    assert sorted(e["logger"] for e in entries) == [
        "django.request", "extradition_monitor.request"]
    assert {e["request_id"] for e in entries} == {response["X-Request-ID"]}
    assert "Not Found: /no-such-page/" in {e["message"] for e in entries}


def test_a_server_error_keeps_its_traceback_in_its_json_line(json_console, world, monkeypatch):
    def broken(self, request):
        raise RuntimeError("the switch broke")

    monkeypatch.setattr(SwitchOrganisation, "post", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.fr_caseworker)
    assert client.post("/organisation/switch/").status_code == 500
    [error] = [e for e in _entries(json_console) if e["logger"] == "django.request"]
    assert "RuntimeError: the switch broke" in error["exception"]


def test_the_health_probes_are_not_logged(json_console, db, settings):
    Client().get("/health/")
    assert not [e for e in _entries(json_console) if e["logger"] == "extradition_monitor.request"]


def _log_format(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_FORMAT")}
    environment.update(production_secrets(), DJANGO_SETTINGS_MODULE="config.settings")
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         " print(settings.LOG_FORMAT)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


def test_json_in_production_text_in_development_unless_chosen():
    assert _log_format(DEBUG="false").stdout.strip() == "json"
    assert _log_format(DEBUG="true").stdout.strip() == "text"
    assert _log_format(DEBUG="true", LOG_FORMAT="json").stdout.strip() == "json"
    refused = _log_format(LOG_FORMAT="xml")
    assert refused.returncode != 0 and "LOG_FORMAT" in refused.stderr
