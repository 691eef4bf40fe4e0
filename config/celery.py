import logging.config
import os
from pathlib import Path

from celery import Celery
from celery.signals import celeryd_init, setup_logging, task_postrun, task_prerun
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("extradition_monitor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The filesystem transport's folders (settings' CELERY block), which kombu does not make.
FILESYSTEM_FOLDERS = ("data_folder_in", "data_folder_out", "control_folder")


@app.on_after_configure.connect
def make_broker_folders(sender: Celery, **kwargs) -> None:
    if sender.conf.broker_url.startswith("filesystem:"):
        options = sender.conf.broker_transport_options or {}
        for key in FILESYSTEM_FOLDERS:
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)


def _log_as_the_web_does(**kwargs) -> None:
    logging.config.dictConfig(settings.LOGGING)
    # As Django does for the web: warnings (Celery's about running as root) become log lines.
    logging.captureWarnings(True)


@app.on_after_configure.connect
def log_json_lines(sender: Celery, **kwargs) -> None:
    """With LOG_FORMAT=json workers and beat log through Django's LOGGING, as JSON lines, instead
    of Celery's own format: from the worker's first step (celeryd_init, before its checks warn),
    and in place of Celery's set-up (with a receiver of setup_logging it leaves logging alone)."""
    if settings.LOG_FORMAT == "json":
        celeryd_init.connect(_log_as_the_web_does, weak=False)
        setup_logging.connect(_log_as_the_web_does, weak=False)


@task_prerun.connect
def _keyring_per_task(task_id=None, **kwargs) -> None:
    """Each task unwraps the data keys it needs and forgets them when it ends, as a request."""
    from cases import keyring

    keyring.begin(task_id)


@task_postrun.connect
def _keyring_forgotten(task_id=None, **kwargs) -> None:
    from cases import keyring

    keyring.end(task_id)
