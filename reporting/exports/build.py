"""Building exports, and letting them go: each step audited.

Building writes the file to a temporary file as rows arrive, hashes it, stores it and records
the SHA-256 in an audit event, so that a file met outside can be checked against the log
(`manage.py verify_export`). Expired files are deleted; builds whose worker died are failed
after a few attempts, or handed back to be queued again (see `tasks.py`).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import tempfile
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import audit, policy
from cases.models.sharing import TLP
from cases.policy import Action, Resource
from monitoring.models import Notification

from .. import cellkey
from ..models import Export
from ..record import compliance_record, counted_findings, record_filters
from ..record_query import RecordQuery, grouping
from . import formats, kept, report, rows, sheet, summary

log = logging.getLogger(__name__)
AuditAction = audit.Action
Kind, Format, Status = Export.Kind, Export.Format, Export.Status
# A build that started this long ago without finishing died with its worker.
STALE = datetime.timedelta(minutes=30)
MAX_ATTEMPTS = 3
SYSTEM = "Extradition Monitor"


def record_query(filters: dict) -> dict:
    """The compliance record's filters, validated as its API endpoint validates them."""
    query = RecordQuery(data=filters)
    if not query.is_valid():
        raise ValidationError(rows.filter_errors(query.errors))
    return query.validated_data


def facts(export: Export) -> dict:
    return {"export": str(export.pk), "kind": export.kind, "format": export.format,
            "filters": export.filters, "include_identifiers": export.include_identifiers}


def manifest(export: Export, rows_written: int | None = None) -> dict:
    """What a file says of itself, and the audit log of it; its SHA-256 lives in the log."""
    return {
        "system": SYSTEM,
        "export": str(export.pk),
        "kind": export.kind,
        "format": export.format,
        "filters": export.filters,
        "include_identifiers": export.include_identifiers,
        "requested_by": export.requester.username,
        "organisation": export.organisation.name,
        "created_at": export.created_at.astimezone(datetime.UTC).isoformat(),
        "rows": export.row_count if rows_written is None else rows_written,
        "tlp": TLP(export.tlp).label.removeprefix("TLP:"),
        "verify": "python manage.py verify_export FILE",
        **({"disclosure_control": cellkey.METHOD} if export.kind == Export.Kind.COMPLIANCE
           else {}),
    }


# --- building --------------------------------------------------------------------------------


def _claim(export_id, now) -> bool:
    return bool(
        Export.objects.filter(pk=export_id, status__in=(Status.QUEUED, Status.RUNNING))
        .filter(Q(started_at__isnull=True) | Q(started_at__lt=now - STALE))
        .update(status=Status.RUNNING, started_at=now, attempts=F("attempts") + 1)
    )


def _progress(export: Export, expected: int | None):
    def advance(done: int) -> None:
        if expected:
            Export.objects.filter(pk=export.pk).update(
                progress=min(99, done * 100 // max(expected, 1)))
    return advance


def _write(export: Export, out) -> int:
    """Write the file; the export's label becomes the strictest label of the rows written."""
    user = export.requester
    labels: set[str] = set()

    def label() -> str:
        if labels:
            export.tlp = rows.strictest_label(labels)
        return TLP(export.tlp).label

    def described(rows_written: int) -> dict:
        label()
        return manifest(export, rows_written)

    progress = _progress(export, export.row_count)
    if export.kind == Kind.COMPLIANCE:
        if export.format == Format.PDF:
            return _write_report(export, out)
        header, table = _record_table(export)
        layout = partial(sheet.record_layout, header)
    else:
        filtered = rows.filtered(user, export.kind, export.filters,
                                 organisation_id=export.organisation_id,
                                 identifiers=export.include_identifiers)
        cols = rows.columns(export.kind, export.include_identifiers)
        header = [c.name for c in cols]
        # The policy decides once, when the ids are kept; the file holds exactly those rows,
        # and each download checks them again.
        if export.format == Format.CSV and connection.vendor == "postgresql":
            # The database writes the CSV of the very rows and cells the writers would, and
            # keeps their ids, in one pass; not sealed values, which only the application can
            # open: a file with one is written again below, from the ids kept.
            kept.forget(export)
            formats.write_csv_header(out, header, formats.LF)
            copied = rows.copy_csv_keeping(user, filtered, export.kind, cols, out, export)
            labels.update(copied.labels)
            if not copied.sealed:
                progress(copied.rows)
                label()
                return copied.rows
            out.seek(0)
            out.truncate()
            queryset = rows.of_ids(export.kind, kept.ids(export))
        else:
            queryset = rows.of_ids(export.kind, _keep_rows(export, filtered))
        table = rows.iter_rows(user, queryset, export.kind, cols, fmt=export.format,
                               labels=labels)
        layout = partial(sheet.row_layout, queryset, cols)
    writer = formats.WRITERS[export.format]
    # A spreadsheet is laid out for a person, in the language active for the build.
    extra = {"tlp_label": label, "layout": layout()} if export.format == Format.XLSX else {}
    written = writer(out, header, table, manifest=described, progress=progress, **extra)
    label()
    return written


def _counted_filters(export: Export, query: dict) -> dict:
    """The record's filters, narrowed to the very findings kept for the download checks."""
    filters = record_filters(query)
    filters["pk__in"] = _keep_rows(export, counted_findings(export.requester).filter(**filters))
    return filters


def _write_report(export: Export, out) -> int:
    """The PDF report of the record; returns the number of its cells."""
    query = record_query(export.filters)
    as_of = export.created_at.astimezone(datetime.UTC).date()
    earlier = summary.previous_query(query, as_of)
    # The findings of the period before count too (its figures are on the first page): kept
    # with the report's own, so that a download checks them alike.
    kept = _keep_rows(export, counted_findings(export.requester).filter(
        summary.report_findings(query, as_of)))
    context = report.report_context(
        export.requester, query=query, manifest=manifest(export),
        filters={**record_filters(query), "pk__in": kept},
        previous_filters={**record_filters(earlier), "pk__in": kept} if earlier else None)
    report.write_pdf(out, context)
    return context["cells"]


def _record_table(export: Export):
    """The record as a table: its header and its rows."""
    query = record_query(export.filters)
    group_by = grouping(query)
    cells = compliance_record(export.requester, group_by=group_by,
                              filters=_counted_filters(export, query))
    return rows.record_table(cells, group_by, export.format)


def _keep_rows(export: Export, queryset) -> RawSQL:
    """Keep the ids of the records `queryset` holds now; returns them as a subquery. Each
    download checks them against the downloader's view (`services._still_seen`)."""
    kept.keep(export, queryset)
    return kept.ids(export)


def _sha256(fh) -> str:
    fh.seek(0)
    digest = hashlib.sha256()
    while chunk := fh.read(1 << 20):
        digest.update(chunk)
    fh.seek(0)
    return digest.hexdigest()


def export_build(*, export_id, notify: bool = False) -> str:
    """Build the file if this caller wins the claim; returns what happened."""
    now = timezone.now()
    if not _claim(export_id, now):
        return "skipped"
    export = Export.objects.select_related("requester", "organisation").get(pk=export_id)
    if not policy.has_right(export.requester, export.organisation_id, Resource.EXPORT,
                            Action.CREATE):
        fail(export, _("The requester may no longer export for this organisation."))
        return "failed"
    try:
        # In the requester's language, whether built in their request or by a worker.
        with tempfile.TemporaryFile() as out, translation.override(export.language):
            written = _write(export, out)
            out.flush()
            digest, size = _sha256(out), out.seek(0, 2)
            out.seek(0)
            extension = export.format
            name = f"{export.kind}-{export.created_at:%Y%m%d-%H%M%S}-{str(export.pk)[:8]}"
            export.file.save(f"{name}.{extension}", File(out), save=False)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the export
        log.exception("export %s failed", export_id)
        fail(export, f"{type(exc).__name__}: {exc}")
        return "failed"
    finished = timezone.now()
    export.status, export.progress, export.row_count = Status.READY, 100, written
    export.sha256, export.size, export.finished_at = digest, size, finished
    export.rows_recorded = True
    export.expires_at = finished + datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS)
    entries = [audit.Entry(
        actor=export.requester, action=AuditAction.EXPORT, obj=export,
        organisation_id=export.organisation_id,
        detail={**facts(export), "rows": written, "sha256": digest, "size": size,
                "tlp": export.tlp},
    )]
    if export.include_identifiers:
        entries.append(audit.Entry(
            actor=export.requester, action=AuditAction.VIEW_PERSONAL_DATA, obj=export,
            organisation_id=export.organisation_id,
            detail={"export": str(export.pk), "subjects_in_rows": written},
        ))
    with transaction.atomic():
        export.save(update_fields=["status", "progress", "row_count", "sha256", "size",
                                   "finished_at", "expires_at", "file", "tlp",
                                   "rows_recorded"])
        audit.record_many(entries)
        if notify:
            _notify_ready(export)
    return "ready"


def fail(export: Export, error: str) -> None:
    Export.objects.filter(pk=export.pk).update(status=Status.FAILED, error=error[:2000],
                                               finished_at=timezone.now())
    audit.record(export.requester, AuditAction.EXPORT, export,
                 organisation_id=export.organisation_id,
                 detail={**facts(export), "failed": error[:500]})


READY_TITLE = gettext_noop("Your export is ready: %(kind)s")
READY_BODY = gettext_noop("Your export %(id)s (%(kind)s, %(format)s, %(rows)s rows) is ready "
                          "until %(expires)s.")


def _notify_ready(export: Export) -> None:
    """The notice, stored in English and written in the reader's language when shown or
    sent."""
    with translation.override(None):
        # The kind's msgid: translated for each reader.
        kind = str(Export.Kind(export.kind).label)
    args = {"id": str(export.pk), "format": export.format.upper(), "rows": export.row_count}
    english = {**args, "kind": kind, "expires": f"{export.expires_at:%Y-%m-%d %H:%M} UTC"}
    Notification.objects.get_or_create(
        dedup_key=f"export_ready:{export.pk}",
        defaults={
            "recipient": export.requester, "kind": Notification.Kind.EXPORT_READY,
            "export": export.pk,
            "subject": f"[{SYSTEM}] " + READY_TITLE % english,
            "body": READY_BODY % english,
            "params": Notification.params_of(title=READY_TITLE, body=READY_BODY, args=args,
                                             dates={"expires": export.expires_at},
                                             terms={"kind": kind}),
        },
    )


# --- letting go ------------------------------------------------------------------------------


def exports_expire(now: datetime.datetime) -> int:
    """Delete the files of expired exports; returns how many."""
    expired = 0
    for export in Export.objects.filter(status=Status.READY, expires_at__lte=now):
        name = export.file.name
        # The row first: a download after this finds it expired, whatever happens to the file.
        if not Export.objects.filter(pk=export.pk, status=Status.READY).update(
                status=Status.EXPIRED, file=""):
            continue
        kept.forget(export)
        if name:
            export.file.storage.delete(name)
        audit.record(None, AuditAction.DELETE, export, organisation_id=export.organisation_id,
                     detail={"export": str(export.pk), "expired": True})
        expired += 1
    return expired


def stale_builds(now: datetime.datetime) -> list:
    """Builds whose worker died: those tried too often fail; the ids of the others, to be
    queued again, are returned."""
    stale = Export.objects.filter(
        status__in=(Status.QUEUED, Status.RUNNING), created_at__lt=now - STALE,
    ).filter(Q(started_at__isnull=True) | Q(started_at__lt=now - STALE))
    for export in stale.filter(attempts__gte=MAX_ATTEMPTS).select_related("requester"):
        fail(export, _("The export was tried %(n)s times and never finished.")
             % {"n": export.attempts})
    return list(stale.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True))
