"""An import's check or commit, start to end, as the worker runs it: the file opened, the rows
run, what was found kept on the job, and the one audit event of a commit."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import audit
from cases.services.common import Actor

from . import runner, storage
from .models import ImportJob
from .reading import FileRejected, open_table

Status = ImportJob.Status


def limits() -> dict:
    return {"max_bytes": settings.IMPORT_MAX_BYTES, "max_rows": settings.IMPORT_MAX_ROWS}


def run_job(job_id, commit: bool, actor) -> ImportJob:
    """The check or the commit of an import, start to end; what it found kept on the job."""
    job = ImportJob.objects.select_related("organisation").get(pk=job_id)
    try:
        with storage.opened(job) as path:
            table = open_table(path, job.filename, **limits())
            outcome = runner.run(job, actor, table, commit=commit,
                                 on_success=lambda o: _record(actor, job, o))
    except FileRejected as rejected:
        return _failed(job, rejected.message)
    except (OperationalError, InterfaceError):
        raise  # the database is away: the task is tried again
    except Exception:
        # Nothing was kept (the commit's transaction is undone); the page stops waiting.
        _failed(job, _("The import stopped on an unexpected error; nothing was imported. "
                       "The operators have the details."))
        raise
    job.counts, job.errors, job.error_count = dict(outcome.counts), outcome.errors, \
        outcome.error_count
    job.rows_done, job.finished_at = job.rows, timezone.now()
    if not commit:
        job.status, job.checked_at, job.versions = Status.CHECKED, job.finished_at, \
            outcome.versions
    elif outcome.ok:
        job.status = Status.DONE
        storage.delete(job)
        job.file = ""
    else:
        job.status = Status.FAILED
    job.save()
    return job


def _failed(job: ImportJob, message: str) -> ImportJob:
    job.status, job.message, job.finished_at = Status.FAILED, message, timezone.now()
    job.save(update_fields=["status", "message", "finished_at"])
    return job


def _record(actor: Actor, job: ImportJob, outcome: runner.Outcome) -> None:
    audit.record(actor, audit.Action.IMPORT, job, organisation_id=job.organisation_id,
                 detail={"kind": job.kind, "sha256": job.sha256, "size": job.size,
                         "rows": job.rows, "counts": dict(outcome.counts)})


def uploads_purge(*, now=None) -> dict[str, int]:
    """Uploads left unimported for IMPORT_RETENTION_DAYS: their files deleted, their keys
    destroyed, the imports discarded. Personal data is not kept for an import nobody ends."""
    now = now or timezone.now()
    before = now - datetime.timedelta(days=settings.IMPORT_RETENTION_DAYS)
    stale = ImportJob.objects.filter(created_at__lt=before).exclude(file="").exclude(
        status__in=ImportJob.RUNNING)
    count = 0
    for job in stale.iterator():
        storage.delete(job)
        job.status, job.file = Status.DISCARDED, ""
        job.save(update_fields=["status", "file"])
        count += 1
    return {"discarded": count}
