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
import threading
import uuid
from pathlib import Path

import pytest

from monitoring.management.commands.serve import GRACE_SECONDS as GRACE

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


class Serve:
    """`manage.py serve` as `make run` starts it, in a session of its own as a terminal's
    foreground job, so that a Ctrl-C or a hang-up reaches its process group."""

    def __init__(self, environment: dict[str, str], log: Path, *, piped: bool = False):
        self.port = _free_port()
        self.log = log
        # Only the processes of this test carry its broker folder in their environment.
        self.marker = f"BROKER_FOLDER={environment['BROKER_FOLDER']}".encode()
        command = [sys.executable, "manage.py", "serve", f"127.0.0.1:{self.port}"]
        if piped:
            # As `make run | tee log`: the output goes through a pipe, read line by line.
            self.process = subprocess.Popen(
                command, cwd=PROJECT, env=environment, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True)
            self.tee = threading.Thread(target=self._copy, daemon=True)
            self.tee.start()
        else:
            with log.open("wb") as out:
                self.process = subprocess.Popen(
                    command, cwd=PROJECT, env=environment, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True)

    def _copy(self) -> None:
        # Ends when the pipe is closed under it: the reader has gone away.
        with self.log.open("ab") as out, contextlib.suppress(ValueError, OSError):
            for line in self.process.stdout:
                out.write(line)
                out.flush()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def processes(self) -> set[int]:
        return _processes_with(self.marker)

    def wait_ready(self) -> None:
        wait_for(lambda: _answers(self.port) and " ready." in self.output(), timeout=90,
                 what="the web server and the worker", describe=self.output)
        # The command, the web server and its reloader, the worker, beat and two pool processes.
        assert len(self.processes()) >= 7, self.output()

    def wait_all_gone(self) -> None:
        wait_for(lambda: not self.processes(), timeout=GRACE + 10,
                 what="every process started by the command to stop", describe=self.output)

    def kill_all(self) -> None:
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)


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
    serve = Serve(environment, tmp_path / "serve.log")
    try:
        serve.wait_ready()
        # The follow-up was due yesterday: beat's sweep writes the alert, a delivery sends it.
        wait_for(lambda: alerts() == [("overdue", 1)], timeout=60,
                 what="the overdue alert written and sent", describe=serve.output)
        status = database.execute("SELECT status FROM monitoring_followup WHERE id = ?",
                                  (follow_up,)).fetchone()
        assert status == ("overdue",)

        os.killpg(serve.process.pid, signal.SIGINT)  # Ctrl-C
        assert serve.process.wait(timeout=GRACE + 10) == 128 + signal.SIGINT
        serve.wait_all_gone()
    finally:
        database.close()
        serve.kill_all()


def _terminal_closed(serve: Serve) -> None:
    """The window closes while the output goes through `tee`: the reader goes first, then the
    terminal hangs up on the job."""
    serve.process.stdout.close()
    os.killpg(serve.process.pid, signal.SIGHUP)


def _command_killed(serve: Serve) -> None:
    """The command alone is killed outright: it can stop nothing itself."""
    serve.process.kill()


@pytest.mark.parametrize("stop", [_terminal_closed, _command_killed],
                         ids=["terminal-closed", "command-killed"])
def test_no_process_outlives_the_command_however_it_ends(environment, tmp_path, stop):
    serve = Serve(environment, tmp_path / "serve.log", piped=stop is _terminal_closed)
    try:
        serve.wait_ready()
        stop(serve)
        serve.process.wait(timeout=GRACE + 10)
        serve.wait_all_gone()
    finally:
        serve.kill_all()


def test_without_redis_the_web_process_queues_tasks_for_the_worker_instead_of_running_them(
    environment, tmp_path
):
    queued = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n"
         "from monitoring.tasks import sweep_task\n"
         "print(sweep_task.app.conf.task_always_eager, sweep_task.delay().id)"],
        cwd=PROJECT, env=environment, capture_output=True, text=True, timeout=60, check=True,
    )
    eager, task_id = queued.stdout.split()
    assert eager == "False"
    (message,) = (tmp_path / "broker" / "messages").iterdir()
    assert task_id in message.read_text() and "monitoring.sweep" in message.read_text()
