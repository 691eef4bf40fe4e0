"""`make run`'s last step: the web server and a Celery worker with beat, started and stopped
together. With `--production` (`make serve`): gunicorn instead of the development server, and
beat in a process of its own beside the worker.

Not a Procfile runner such as honcho: it ignores SIGHUP and stops nothing once its own output
pipe breaks, so closing the terminal, or a pipe to `tee`, would leave the worker running. Each
child runs in a process group of its own, which this command signals on Ctrl-C, SIGTERM or
SIGHUP: first the child, for a clean stop, then the whole group, so nothing it started is left.
Should this command itself be killed outright, Linux sends each child SIGTERM (the parent-death
signal).
"""

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# One worker process: beat inside it, and two task processes, enough for reminders and exports.
WORKER = ["-m", "celery", "-A", "config", "worker", "--beat", "--concurrency=2",
          "--loglevel=INFO",
          # No gossip, mingle or heartbeat events: with the filesystem transport each would be a
          # file per message, left behind for a worker that is gone.
          "--without-gossip", "--without-mingle", "--without-heartbeat"]
# In production beat is a process of its own (exactly one, however many workers), and neither
# prints a banner. With LOG_FORMAT=json both log through Django's LOGGING, at LOG_LEVEL, as JSON
# lines (config/celery.py); --loglevel is for Celery's own format.
PRODUCTION_WORKER = ["-m", "celery", "-A", "config", "--quiet", "worker", "--loglevel=INFO",
                     "--without-gossip", "--without-mingle", "--without-heartbeat"]
PRODUCTION_BEAT = ["-m", "celery", "-A", "config", "--quiet", "beat", "--loglevel=INFO"]
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How long a child has to finish what it is doing once asked to stop.
GRACE_SECONDS = 10
PR_SET_PDEATHSIG = 1
LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if sys.platform == "linux" \
    else None


def worker_command() -> list[str]:
    return [sys.executable, *WORKER]


def web_command(addrport: str) -> list[str]:
    return [sys.executable, str(settings.BASE_DIR / "manage.py"), "runserver", addrport]


def production_commands(addrport: str) -> list[list[str]]:
    """gunicorn (workers: WEB_CONCURRENCY), a Celery worker and beat."""
    web = [sys.executable, "-m", "gunicorn", "--config", "python:config.gunicorn",
           "--bind", addrport]
    return [web, [sys.executable, *PRODUCTION_WORKER], [sys.executable, *PRODUCTION_BEAT]]


def _die_with(parent: int):
    def before_exec() -> None:
        if LIBC is not None:
            LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
            # The parent may have died between the fork and the line above.
            if os.getppid() != parent:
                os._exit(1)
    return before_exec


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


class Command(BaseCommand):
    help = (
        "Serve the web application with a Celery worker and beat beside it, so reminders and "
        "exports run as in production; Ctrl-C, SIGTERM or SIGHUP stops all of them."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000",
                            help="where the web server listens, as for runserver")
        parser.add_argument("--production", action="store_true",
                            help="gunicorn instead of the development server, beat apart; "
                                 "needs DEBUG off and the static files collected")

    def handle(self, *args, addrport: str, production: bool, **options):
        if production and settings.DEBUG:
            raise CommandError("--production needs DEBUG=false (and SECRET_KEY) in the "
                               "environment.")
        commands = (production_commands(addrport) if production
                    else [web_command(addrport), worker_command()])
        received: list[int] = []
        for signum in STOP_SIGNALS:
            signal.signal(signum, lambda signum, frame: received.append(signum))
        children = []
        try:
            for command in commands:
                # Unbuffered: lines appear as they are written, through a pipe too.
                children.append(subprocess.Popen(  # noqa: S603 (this interpreter, no shell)
                    command, cwd=settings.BASE_DIR, process_group=0,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                    preexec_fn=_die_with(os.getpid()),
                ))
            while not received and all(child.poll() is None for child in children):
                time.sleep(0.2)
        finally:
            self._stop(children)
        if received:
            sys.exit(128 + received[0])
        # A child stopped by itself (the port was taken, say): so does the rest.
        sys.exit(next((child.returncode for child in children if child.returncode), 1))

    def _stop(self, children: list[subprocess.Popen]) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(deadline - time.monotonic(), 0))
        # Whatever is left in the children's groups (a pool process, a reloaded server) goes too.
        for child in children:
            _signal_group(child, signal.SIGKILL)
            child.wait()
