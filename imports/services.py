"""Imports, step by step: a file uploaded (sealed, read enough to know its columns), its
columns mapped (a mapping may be kept for the next file), a check of every row, then the
commit, all or nothing. The check and the commit run in a worker; the management command runs
them at once.

The audit log holds one `import` event per commit, with the file's SHA-256 and the counts,
beside the event of each record created or changed; never a cell of the file.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import policy
from cases.models import Organisation
from cases.policy import Action, Resource
from cases.services.common import Actor

from . import storage
from .fields import fields_of, suggest
from .jobs import limits
from .models import ColumnMapping, DateFormat, ImportJob, Kind
from .reading import FileRejected, open_table

Status = ImportJob.Status


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def import_upload(*, actor: Actor, organisation: Organisation | None = None, kind: str, file,
                  date_format: str = DateFormat.ISO,
                  mapping: ColumnMapping | None = None) -> ImportJob:
    """Keep an uploaded file for import, sealed; its columns mapped as `mapping` says for the
    headers it knows, the rest as suggested by their names. A file that cannot be read as a
    table is refused, and nothing of it is kept."""
    owner = policy.acting_organisation(actor, Resource.IMPORT, organisation)
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Not one of: %(kinds)s.") % {
            "kinds": ", ".join(Kind.values)}})
    if file.size > settings.IMPORT_MAX_BYTES:
        raise ValidationError({"file": _(
            "The file is %(size)s MB; the limit is %(limit)s MB.") % {
            "size": _megabytes(file.size), "limit": _megabytes(settings.IMPORT_MAX_BYTES)}})
    if mapping is not None and (mapping.organisation_id != owner.pk or mapping.kind != kind):
        raise ValidationError({"mapping": _("This mapping is not one of your organisation's "
                                            "for this kind of import.")})
    job = ImportJob(organisation=owner, created_by=actor, kind=kind, filename=file.name[:255],
                    date_format=mapping.date_format if mapping else date_format)
    file.seek(0)
    job.file, job.data_key, job.sha256, job.size = storage.seal(job.pk, file)
    try:
        with storage.opened(job) as path:
            table = open_table(path, file.name, **limits())
    except FileRejected as rejected:
        storage.delete(job)
        raise ValidationError({"file": rejected.message}) from None
    job.format, job.encoding = table.format, table.encoding or ""
    job.headers, job.rows = table.headers, table.rows
    job.mapping = suggest(kind, table.headers)
    if mapping is not None:
        job.mapping.update({h: f for h, f in mapping.columns.items() if h in job.mapping})
    job.save()
    return job


def _check_mapping(kind: str, headers: list[str], mapping: dict) -> dict[str, str]:
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": _("Give an object of headers and fields.")})
    fields = fields_of(kind)
    errors = []
    unknown = sorted(set(mapping) - set(headers))
    if unknown:
        errors.append(_("No column has the header %(header)s.") % {"header": unknown[0]})
    chosen = [f for f in mapping.values() if f]
    for name in sorted({f for f in chosen if not isinstance(f, str) or f not in fields},
                       key=str):
        errors.append(_("There is no field %(field)s.") % {"field": name})
    for name in sorted({f for f in chosen if chosen.count(f) > 1}, key=str):
        errors.append(_("Two columns are mapped to %(field)s.") % {"field": name})
    if "external_reference" not in chosen:
        errors.append(_("Map a column to 'external_reference': your reference for each row."))
    if errors:
        raise ValidationError({"mapping": errors})
    return {header: mapping.get(header) or "" for header in headers}


def _require_open(actor: Actor, job: ImportJob, *allowed: str) -> None:
    policy.require(actor, Action.VIEW, job)
    if not policy.has_right(actor, job.organisation_id, Resource.IMPORT, Action.CREATE):
        raise PermissionDenied(_("Your role does not allow this."))
    if job.status not in allowed:
        raise ValidationError({"status": _("This import is %(status)s: it cannot do this now.")
                               % {"status": job.get_status_display()}})


def import_configure(*, actor: Actor, job: ImportJob, mapping: dict | None = None,
                     date_format: str | None = None, save_as: str = "") -> ImportJob:
    """Set how columns map to fields and how dates are written; `save_as` keeps the mapping
    under that name for the organisation's next files (replacing one of that name)."""
    _require_open(actor, job, Status.UPLOADED, Status.CHECKED, Status.FAILED)
    if mapping is not None:
        job.mapping = _check_mapping(job.kind, job.headers, mapping)
    if date_format is not None:
        if date_format not in DateFormat.values:
            raise ValidationError({"date_format": _("Not one of: %(formats)s.") % {
                "formats": ", ".join(DateFormat.values)}})
        job.date_format = date_format
    _check_mapping(job.kind, job.headers, job.mapping)
    save_as = (save_as or "").strip()
    if len(save_as) > 100:
        raise ValidationError({"save_as": _("At most 100 characters.")})
    with transaction.atomic():
        job.status, job.counts, job.errors, job.error_count = Status.UPLOADED, {}, [], 0
        job.save()
        if save_as:
            try:
                with transaction.atomic():
                    ColumnMapping.objects.update_or_create(
                        organisation_id=job.organisation_id, kind=job.kind, name=save_as,
                        defaults={"columns": {h: f for h, f in job.mapping.items() if f},
                                  "date_format": job.date_format, "created_by": actor})
            except IntegrityError:
                raise ValidationError({"save_as": _("A mapping of this name exists.")}) from None
    return job


def _start(job: ImportJob, status: str, commit: bool) -> None:
    from .tasks import import_run_task

    job.status, job.rows_done, job.started_at, job.finished_at = status, 0, timezone.now(), None
    job.save(update_fields=["status", "rows_done", "started_at", "finished_at"])
    transaction.on_commit(lambda: import_run_task.delay(str(job.pk), commit, actor_id(job)))


def actor_id(job: ImportJob) -> int:
    return job.committed_by_id or job.created_by_id


def import_check(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Check every row as the commit would, writing nothing (in a worker)."""
    _require_open(actor, job, Status.UPLOADED, Status.CHECKED, Status.FAILED)
    _check_mapping(job.kind, job.headers, job.mapping)
    job.committed_by = None
    _start(job, Status.CHECKING, commit=False)
    return job


def import_commit(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Import the rows of a file checked without an error, all or nothing (in a worker)."""
    _require_open(actor, job, Status.CHECKED)
    if job.error_count:
        raise ValidationError({"status": _("The check found errors: correct the file or the "
                                           "mapping, and check again.")})
    job.committed_by = actor
    job.save(update_fields=["committed_by"])
    _start(job, Status.IMPORTING, commit=True)
    return job


def import_discard(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Give up an import: its file deleted and its key destroyed."""
    _require_open(actor, job, Status.UPLOADED, Status.CHECKED, Status.FAILED)
    storage.delete(job)
    job.status, job.file = Status.DISCARDED, ""
    job.save(update_fields=["status", "file"])
    return job


def column_mapping_delete(*, actor: Actor, mapping: ColumnMapping) -> None:
    policy.require(actor, Action.VIEW, mapping)
    if not policy.has_right(actor, mapping.organisation_id, Resource.IMPORT, Action.CREATE):
        raise PermissionDenied(_("Your role does not allow this."))
    mapping.delete()
