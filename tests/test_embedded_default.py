"""The embedded default reminds as production does (issue 11): the command `make run` ends with
serves the web beside a real Celery worker with beat, on kombu's filesystem transport and a
SQLite file, with no server and no other command; a follow-up whose date has passed gets its
alert; Ctrl-C stops every process it started.

Everything runs in processes of their own, with an environment of their own (a temporary
SQLite file and broker folder), so the test is the same on both CI passes whatever
DATABASE_URL and REDIS_URL say. Waits poll with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from .celery_support import wait_for

PROJECT = Path(__file__).resolve().parent.parent
# The sweep every second, the queue polled ten times a second: the first alert comes within
# about two seconds of the worker being ready.
SWEEP_SECONDS = 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _processes_with(marker: bytes) -> set[int]:
    """The live processes whose environment holds `marker`: whatever the test started, and
    whatever those started in turn, re-parented or not."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture
def environment(tmp_path) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "MEDIA_ROOT"}
    return {
        **{k: v for k, v in os.environ.items() if k not in drop},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "BROKER_FOLDER": str(tmp_path / "broker"),
        "BROKER_POLLING_SECONDS": "0.1",
        "MONITORING_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SECRET_KEY": "embedded-default-test",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])),
    }


def test_make_run_reminds_without_another_command_and_ctrl_c_stops_it_all(
    environment, tmp_path
):
    prepared = subprocess.run(
        [sys.executable, "-m", "tests.embedded_support"], cwd=PROJECT, env=environment,
        capture_output=True, text=True, timeout=120, check=True,
    )
    ids = json.loads(prepared.stdout.strip().splitlines()[-1])
    database = sqlite3.connect(f"file:{tmp_path / 'db.sqlite3'}?mode=ro", uri=True)
    follow_up = uuid.UUID(ids["follow_up"]).hex

    def alerts() -> list[tuple]:
        return database.execute(
            "SELECT kind, sent_at IS NOT NULL FROM monitoring_notification "
            "WHERE follow_up_id = ? AND recipient_id = ?", (follow_up, ids["caseworker"]),
        ).fetchall()

    assert alerts() == []
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        # A session of its own, as a terminal's foreground job: Ctrl-C reaches its group.
        serve = subprocess.Popen(
            [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}"], cwd=PROJECT,
            env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    # Only the processes of this test carry its broker folder in their environment.
    ours = f"BROKER_FOLDER={environment['BROKER_FOLDER']}".encode()
    try:
        def output() -> str:
            return log.read_text(errors="replace")

        wait_for(lambda: _answers(port) and " ready." in output(), timeout=90,
                 what="the web server and the worker", describe=output)
        # The command, two shells, the web server and its reloader, the worker, beat, its pool.
        assert len(_processes_with(ours)) >= 8, output()
        # The follow-up was due yesterday: beat's sweep writes the alert, a delivery sends it.
        wait_for(lambda: alerts() == [("overdue", 1)], timeout=60,
                 what="the overdue alert written and sent", describe=output)
        status = database.execute("SELECT status FROM monitoring_followup WHERE id = ?",
                                  (follow_up,)).fetchone()
        assert status == ("overdue",)

        os.killpg(serve.pid, signal.SIGINT)
        assert serve.wait(timeout=30) != 0
        wait_for(lambda: not _processes_with(ours), timeout=15,
                 what="every process started by the command to stop", describe=output)
    finally:
        database.close()
        for pid in _processes_with(ours):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        serve.wait(timeout=10)
