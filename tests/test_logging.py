"""The console log as a newcomer reads it: each record once, on one line; tracebacks for 5xx."""

import io
import logging
import sys

import pytest
from django.test import Client
from django.utils.log import configure_logging

from cases.views.account import SwitchOrganisation


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
