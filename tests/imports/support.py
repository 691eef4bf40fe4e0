"""What the import tests share: a file uploaded, checked and committed through the services,
as the worker runs them."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from imports import services
from imports.models import ImportJob


def csv_bytes(rows: list[dict], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def upload(user, content: bytes, *, kind: str = "cases", name: str = "cases.csv",
           **kwargs) -> ImportJob:
    return services.import_upload(actor=user, kind=kind,
                                  file=SimpleUploadedFile(name, content), **kwargs)


def check(user, job: ImportJob) -> ImportJob:
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.import_check(actor=user, job=job)
    job.refresh_from_db()
    return job


def commit(user, job: ImportJob) -> ImportJob:
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.import_commit(actor=user, job=job)
    job.refresh_from_db()
    return job


def imported(user, content: bytes, **kwargs) -> ImportJob:
    """Upload, check and, if the check found nothing wrong, commit."""
    job = check(user, upload(user, content, **kwargs))
    return commit(user, job) if job.status == ImportJob.Status.CHECKED and not job.error_count \
        else job


CASE_ROW = {
    "reference": "NGO-1", "subject_full_name": "Zhang Weiming", "subject_date_of_birth":
    "1980-02-03", "requesting_state": "CN", "requested_state": "FR", "channel": "extradition",
    "request_date": "2024-01-10", "status": "judicial_phase", "status_changed_on": "2024-02-01",
    "offences": "Fraud", "offence_category": "economic_corruption", "distribution":
    "organisation", "tlp": "amber",
}
