"""Real Celery workers for tests: worker processes against Redis and the test database, and a
mail backend that leaves a trace the test process can read.

A worker is started as `celery -A tests.celery_support worker`: the project's Celery app with
each of its queues renamed into the test's own (`EM_TEST_CELERY_QUEUE`): `<test>.delivery`,
`<test>.reminders`... The routes are the project's, so the tasks the workers queue themselves (a
sweep queues delivery, delivery fans out) go to the test's queue of their kind, and a worker
that took no queue of that kind would leave them there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import redis
from celery import Celery
from django.core.mail.backends.base import BaseEmailBackend
from kombu import Exchange, Queue

from config.celery import app as project_app

PROJECT = Path(__file__).resolve().parent.parent
MAIL_LOG = "EM_TEST_MAIL_LOG"
MAIL_DELAY = "EM_TEST_MAIL_DELAY"
QUEUE = "EM_TEST_CELERY_QUEUE"
# The Redis database of the worker tests: 14, and 15 for the second pytest-xdist worker (more
# workers take these two in turn). Each test uses a queue of its own in it besides, so no test
# takes another's tasks even where two test processes share a database.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
REDIS_DB = 14 + int(_XDIST_WORKER.removeprefix("gw") or 0) % 2



def queue_of(prefix: str, name: str) -> str:
    return f"{prefix}.{name}"


def routes_of(prefix: str) -> tuple[dict, tuple[Queue, ...]]:
    """The project's task routes and queues, each queue renamed into the test's."""
    names = {queue_of(prefix, q.name) for q in project_app.conf.task_queues}
    routes = {task: {"queue": queue_of(prefix, route["queue"])}
              for task, route in project_app.conf.task_routes.items()}
    return routes, tuple(Queue(n, Exchange(n), routing_key=n) for n in sorted(names))


if os.environ.get(QUEUE):
    project_app.conf.task_default_queue = queue_of(os.environ[QUEUE],
                                                   project_app.conf.task_default_queue)
    project_app.conf.task_routes, project_app.conf.task_queues = routes_of(os.environ[QUEUE])
app = project_app

T = TypeVar("T")


def _append(path: str, line: str) -> None:
    # One write on an O_APPEND descriptor: lines of concurrent workers never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


class MessageLogBackend(BaseEmailBackend):
    """Sends a message by appending its Message-ID to the file named by EM_TEST_MAIL_LOG.

    The Message-ID is first appended to `<file>.sending`; with EM_TEST_MAIL_DELAY set the
    backend then waits that many seconds, the time a slow mail server takes, so a test can
    kill the worker in the middle of a delivery."""

    def send_messages(self, email_messages) -> int:
        path = os.environ[MAIL_LOG]
        delay = float(os.environ.get(MAIL_DELAY) or 0)
        for message in email_messages:
            message_id = message.message()["Message-ID"]
            _append(f"{path}.sending", message_id)
            time.sleep(delay)
            _append(path, message_id)
        return len(email_messages)


def wait_for(condition: Callable[[], T], *, what: str, timeout: float = 60,
             describe: Callable[[], str] = lambda: "") -> T:
    """Poll `condition` until it is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n"
                                 f"{describe()}")
        time.sleep(0.05)


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is connected to (the test database)."""
    user = quote(settings_dict["USER"] or "", safe="")
    password = settings_dict["PASSWORD"]
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host = settings_dict["HOST"] or "localhost"
    port = settings_dict["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def redis_db_url(url: str, db: int = REDIS_DB) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


class Worker:
    def __init__(self, name: str, process: subprocess.Popen, log: Path):
        self.name = name
        self.process = process
        self.log = log

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes at once: no shutdown of any kind."""
        # ProcessLookupError: the whole group has exited already.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        """Warm shutdown: the task in hand is finished, then the worker exits."""
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self.kill()


class Workers:
    """Celery workers of one test: its own queue, Redis database, mail log and processes."""

    def __init__(self, *, database_url: str, redis_url: str, directory: Path,
                 lease_seconds: int = 2):
        self.database_url = database_url
        self.redis_url = redis_db_url(redis_url)
        self.directory = directory
        self.lease_seconds = lease_seconds
        self.queue = f"em-test-{uuid.uuid4().hex[:12]}"
        self.routes, queues = routes_of(self.queue)
        self.queues = [q.name for q in queues]
        self.mail_log = directory / "mail.log"
        self.workers: list[Worker] = []
        self.redis = redis.Redis.from_url(self.redis_url)
        # A client of its own: the project's app, eager in tests, is left as it is.
        self.client = Celery("em-test-client", broker=self.redis_url, set_as_current=False)

    def start(self, name: str, *, mail_delay: float = 0,
              queues: list[str] | None = None) -> Worker:
        """A worker taking the test's queues, or those of `queues` (the project's names)."""
        queues = [queue_of(self.queue, q) for q in queues or ()]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": "celery-worker-tests",
            "EMAIL_BACKEND": f"{__name__}.MessageLogBackend",
            "NOTIFICATION_LEASE_SECONDS": str(self.lease_seconds),
            # The sweep writes audit checkpoints: into the test's folder, not the project's.
            "AUDIT_CHECKPOINT_DIR": str(self.directory / "audit-checkpoints"),
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")])),
            MAIL_LOG: str(self.mail_log),
            MAIL_DELAY: str(mail_delay),
            QUEUE: self.queue,
        }
        log = self.directory / f"worker-{name}.log"
        node = f"{name}-{self.queue}"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", __name__, "worker", "--pool=prefork",
                 "--concurrency=1", "-Q", ",".join(queues or self.queues), "-n", f"{node}@%h",
                 "--loglevel=INFO",
                 "--without-heartbeat", "--without-gossip", "--without-mingle"],
                cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT,
                # Its own process group, so a kill reaches the pool processes too.
                start_new_session=True,
            )
        worker = Worker(node, process, log)
        self.workers.append(worker)
        return worker

    def wait_ready(self, *workers: Worker) -> None:
        for worker in workers:
            wait_for(lambda w=worker: f"{w.name}@" in w.output() and " ready." in w.output(),
                     what=f"worker {worker.name} to be ready", describe=self.describe)

    def send(self, task: str, times: int = 1) -> None:
        """Queue `task` as the project would: on the test's queue of its kind."""
        for _ in range(times):
            self.client.send_task(task, queue=self.routes[task]["queue"])

    def queued(self, kind: str | None = None) -> int:
        """Tasks waiting on the test's queue of `kind`, or on all of them."""
        names = [queue_of(self.queue, kind)] if kind else self.queues
        return sum(self.redis.llen(name) for name in names)

    def sent(self) -> list[str]:
        """Message-IDs of the messages sent, one line per message, in order."""
        return _lines(self.mail_log)

    def sending(self) -> list[str]:
        """Message-IDs of the messages a worker began to send."""
        return _lines(Path(f"{self.mail_log}.sending"))

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()

    def close(self) -> None:
        try:
            for worker in self.workers:
                worker.kill()
        finally:
            self.client.close()
            self._forget_queue()
            self.redis.close()

    def _forget_queue(self) -> None:
        """Remove from Redis whatever names this test's queue or workers, and the messages a
        killed worker left unacknowledged; other users of the database are left alone."""
        mark = self.queue.encode()
        dropped: set[bytes] = set()
        for key in list(self.redis.scan_iter()):
            if mark in key:
                self.redis.delete(key)
                continue
            kind = self.redis.type(key)
            if kind == b"set":
                for member in self.redis.smembers(key):
                    if mark in member:
                        self.redis.srem(key, member)
            elif kind == b"hash":
                for field, value in self.redis.hscan_iter(key):
                    if mark in value:
                        self.redis.hdel(key, field)
                        dropped.add(field)
        for key in list(self.redis.scan_iter(_type="zset")):
            if dropped:
                self.redis.zrem(key, *dropped)

    def describe(self) -> str:
        parts = [f"sending: {self.sending()}", f"sent: {self.sent()}"]
        for worker in self.workers:
            tail = "\n".join(worker.output().splitlines()[-40:])
            parts.append(f"--- worker {worker.name} (exit {worker.process.poll()}):\n{tail}")
        return "\n".join(parts)
