import os
import shlex
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from honcho.manager import Manager

# One worker process: beat inside it, and two task processes, enough for reminders and exports.
WORKER = ["-m", "celery", "-A", "config", "worker", "--beat", "--concurrency=2",
          "--loglevel=INFO",
          # No gossip, mingle or heartbeat events: with the filesystem transport each would be a
          # file per message, left behind for a worker that is gone.
          "--without-gossip", "--without-mingle", "--without-heartbeat"]


def worker_command() -> list[str]:
    return [sys.executable, *WORKER]


def web_command(addrport: str) -> list[str]:
    return [sys.executable, str(settings.BASE_DIR / "manage.py"), "runserver", addrport]


class Command(BaseCommand):
    help = (
        "Serve the web application with a Celery worker and beat beside it, so reminders and "
        "exports run as in production; Ctrl-C (or SIGTERM) stops all of them."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000",
                            help="where the web server listens, as for runserver")

    def handle(self, *args, addrport: str, **options):
        # Honcho starts each in a session of its own and, on SIGINT or SIGTERM, stops them all
        # (SIGKILL after a grace period), so none outlives this command.
        manager = Manager()
        # Lines through a pipe are otherwise held back until a buffer fills.
        environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for name, command in (("web", web_command(addrport)), ("worker", worker_command())):
            manager.add_process(name, shlex.join(command), env=environment,
                                cwd=str(settings.BASE_DIR))
        manager.loop()
        sys.exit(manager.returncode)
