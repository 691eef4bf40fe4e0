"""`/health/` answers a load balancer: 200 while the database, the broker, the disk and the
reminder sweep are fine, 503 naming the check that is not; over plain HTTP, without a sign-in,
and without a path, host or error in what it says."""

import datetime

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from monitoring import health
from monitoring.tasks import sweep_task


@pytest.fixture
def healthy(settings, tmp_path, db):
    """A filesystem broker whose folder can be written, the sweep every five minutes."""
    (tmp_path / "broker" / "messages").mkdir(parents=True)
    settings.REDIS_URL = ""
    settings.BROKER_FOLDER = tmp_path / "broker"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.HEALTH_MIN_FREE_BYTES = 1
    settings.HEALTH_SWEEP_MAX_AGE_SECONDS = 900
    return settings


def probe() -> tuple[int, dict]:
    response = Client().get("/health/")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


def test_all_well_before_the_first_sweep_says_not_yet(healthy):
    status, body = probe()
    assert status == 200, body
    assert body == {"status": "ok", "failing": [], "checks": {
        "database": {"ok": True, "detail": "ok"}, "broker": {"ok": True, "detail": "ok"},
        "disk": {"ok": True, "detail": "ok"}, "last_sweep": {"ok": True, "detail": "not yet"}}}


def test_no_sweep_for_longer_than_a_sweep_may_be_late_fails(healthy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert probe()[0] == 200
    with time_machine.travel(start + datetime.timedelta(seconds=901), tick=False):
        status, body = probe()
    assert status == 503 and body["failing"] == ["last_sweep"]
    assert body["checks"]["last_sweep"] == {"ok": False, "detail": "not yet"}


def test_the_sweep_records_when_it_ran_and_an_old_one_fails(healthy):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sweep_task.delay()
        assert probe()[1]["checks"]["last_sweep"] == {"ok": True, "detail": "0 s ago"}
    with time_machine.travel(start + datetime.timedelta(seconds=600), tick=False):
        assert probe()[1]["checks"]["last_sweep"] == {"ok": True, "detail": "600 s ago"}
    with time_machine.travel(start + datetime.timedelta(seconds=901), tick=False):
        status, body = probe()
    assert status == 503 and body["failing"] == ["last_sweep"]


def test_low_disk_fails(healthy):
    healthy.HEALTH_MIN_FREE_BYTES = 1 << 60
    status, body = probe()
    assert status == 503 and body["failing"] == ["disk"]
    assert body["checks"]["disk"] == {"ok": False, "detail": "low"}


def test_a_broker_folder_that_cannot_be_written_fails(healthy, tmp_path):
    healthy.BROKER_FOLDER = tmp_path / "no-such-folder"
    status, body = probe()
    assert status == 503 and body["failing"] == ["broker"]
    assert str(tmp_path) not in str(body)


def test_a_redis_that_does_not_answer_fails_without_naming_it(healthy):
    healthy.REDIS_URL = "redis://127.0.0.1:1/0"
    status, body = probe()
    assert status == 503 and body["failing"] == ["broker"]
    assert body["checks"]["broker"] == {"ok": False, "detail": "unreachable"}


class UnreachableDatabase:
    def cursor(self):
        raise OperationalError("connection refused by db.internal:5432")


def test_a_database_that_does_not_answer_fails(healthy, monkeypatch):
    monkeypatch.setattr(health, "connection", UnreachableDatabase())
    status, body = probe()
    assert status == 503 and body["failing"] == ["database"]
    assert "db.internal" not in str(body)


def test_probed_over_plain_http_while_pages_are_redirected(healthy):
    healthy.SECURE_SSL_REDIRECT = True
    assert probe()[0] == 200
    response = Client().get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


def test_a_head_probe_gets_the_status_alone(healthy):
    response = Client().head("/health/")
    assert response.status_code == 200 and not response.content
