"""Celery tasks of exports: thin wrappers; the work is in exports/build.py.

Their names are those they had when exports belonged to monitoring, so that messages queued
before still run, and beat's schedule in the settings still names them.
"""

import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from monitoring.tasks import RETRY

from .exports import build


@shared_task(name="monitoring.export_build", **RETRY)
def export_build_task(export_id: str) -> str:
    return build.export_build(export_id=export_id, notify=True)


def exports_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete the files of expired exports; queue again builds whose worker died."""
    now = now or timezone.now()
    expired = build.exports_expire(now)
    stale = build.stale_builds(now)
    for export_id in stale:
        transaction.on_commit(lambda i=export_id: export_build_task.delay(str(i)))
    return {"expired": expired, "requeued": len(stale)}


@shared_task(name="monitoring.exports_purge", **RETRY)
def exports_purge_task() -> dict:
    return exports_purge()
