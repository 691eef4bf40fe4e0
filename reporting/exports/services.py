"""Requesting and downloading exports, each audited.

An export is requested (validated, counted, audited), then built (`build.py`): at once when it
is small, otherwise by a Celery task that reports progress. A download checks that the
downloader still sees every record the file holds.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases import audit, policy
from cases.models import Organisation
from cases.policy import Action, Resource

from ..models import Export
from ..record import counted_findings, record_filters
from ..tasks import export_build_task
from . import kept, rows, summary
from .build import export_build, facts, record_query

AuditAction = audit.Action
Kind, Format, Status = Export.Kind, Export.Format, Export.Status
FORMATS_OF = {
    Kind.CASES: (Format.CSV, Format.XLSX, Format.JSON),
    Kind.FOLLOW_UPS: (Format.CSV, Format.XLSX, Format.JSON),
    Kind.FINDINGS: (Format.CSV, Format.XLSX, Format.JSON),
    Kind.COMPLIANCE: (Format.CSV, Format.XLSX, Format.JSON, Format.PDF),
}


# --- what is asked ---------------------------------------------------------------------------


def _scope(export: Export, user=None):
    """(queryset or record query, row count, label) of what the export holds for its
    requester, now."""
    user = user or export.requester
    if export.kind == Kind.COMPLIANCE:
        query = record_query(export.filters)
        # A report's first page compares with the period before: its findings count too.
        counted = counted_findings(user).filter(
            summary.report_findings(query, (export.created_at or timezone.now()).date())
            if export.format == Format.PDF else Q(**record_filters(query)))
        label = rows.strictest_label(
            counted.order_by().values_list("tlp", flat=True).distinct())
        return query, None, label
    queryset = rows.filtered(user, export.kind, export.filters,
                             organisation_id=export.organisation_id,
                             identifiers=export.include_identifiers)
    return queryset, queryset.count(), rows.label_of(export.kind, queryset)


def export_request(*, actor, kind: str, format: str, filters: dict | None = None,
                   organisation: Organisation | None = None,
                   include_identifiers: bool = False, language: str | None = None) -> Export:
    """Ask for an export; small ones are built before this returns. It is written in
    `language`, by default the one active for the request."""
    organisation = policy.acting_organisation(actor, Resource.EXPORT, organisation)
    errors = {}
    if kind not in FORMATS_OF:
        errors["kind"] = _("Unknown kind of export.")
    elif format not in FORMATS_OF[kind]:
        errors["format"] = _("A %(kind)s export comes as %(formats)s.") % {
            "kind": kind, "formats": ", ".join(FORMATS_OF[kind])}
    if include_identifiers and kind != Kind.CASES and "kind" not in errors:
        errors["include_identifiers"] = _("Identifiers come only with an export of cases.")
    if errors:
        raise ValidationError(errors)
    if include_identifiers and not policy.has_right(
        actor, organisation.pk, Resource.SUBJECT, Action.VIEW_IDENTIFIERS
    ):
        raise PermissionDenied(_("Your role does not let you see subjects' identifiers."))
    export = Export(requester=actor, organisation=organisation, kind=kind, format=format,
                    filters=filters or {}, include_identifiers=include_identifiers,
                    language=_language(language))
    _scope_now, count, label = _scope(export, actor)
    export.row_count, export.tlp = count, label
    with transaction.atomic():
        export.save()
        audit.record(actor, AuditAction.CREATE, export, organisation_id=organisation.pk,
                     detail=facts(export))
    if count is None or count <= settings.EXPORT_INLINE_MAX_ROWS:
        export_build(export_id=export.pk)
    else:
        transaction.on_commit(lambda: export_build_task.delay(str(export.pk)))
    export.refresh_from_db()
    return export


def _language(language: str | None) -> str:
    """One of the platform's languages: the one asked, or the active one, or its own."""
    try:
        return translation.get_supported_language_variant(
            language or translation.get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


# --- taking it out ---------------------------------------------------------------------------


class Gone(Exception):
    """The export's file no longer exists (410)."""


class Withdrawn(Gone):
    """Some of the file's rows left the downloader's view: it is not handed out (410)."""


class NotReady(Exception):
    """The export's file is not built yet, or failed (409)."""


def export_open(*, actor, export: Export):
    """The stored file, for a download: audited. The caller's view of `export` was checked by
    the restricted queryset it came from."""
    policy.require(actor, Action.VIEW, export)
    now = timezone.now()
    if export.status == Status.EXPIRED or (export.expires_at and export.expires_at <= now):
        raise Gone(_("This export expired on %(when)s; ask for a new one.")
                   % {"when": f"{export.expires_at:%Y-%m-%d %H:%M} UTC"})
    if export.status == Status.WITHDRAWN:
        raise Withdrawn(WITHDRAWN)
    if export.status != Status.READY:
        raise NotReady(_("This export is %(status)s, not ready.")
                       % {"status": Status(export.status).label.lower()})
    if not _still_seen(export, actor):
        _withdraw(export, actor)
        raise Withdrawn(WITHDRAWN)
    audit.record(actor, AuditAction.DOWNLOAD, export, organisation_id=export.organisation_id,
                 detail={"export": str(export.pk), "sha256": export.sha256})
    return export.file.open("rb")


WITHDRAWN = _("This export was withdrawn: some of what it holds is no longer yours to see. "
              "Ask for a new one.")


def _still_seen(export: Export, user) -> bool:
    """Whether `user` still sees every record the file holds, as an export may show it."""
    if not export.rows_recorded:
        # Built before downloads were checked: nothing tells what it holds.
        return False
    if export.include_identifiers and not policy.has_right(
            user, export.organisation_id, Resource.SUBJECT, Action.VIEW_IDENTIFIERS):
        return False
    if export.kind == Kind.COMPLIANCE:
        seen = counted_findings(user)
    else:
        seen = rows.scope(user, export.kind, organisation_id=export.organisation_id,
                          identifiers=export.include_identifiers)
    return kept.all_seen(export, seen)


def _withdraw(export: Export, actor) -> None:
    """The requester lost sight of some rows: the file goes, for everyone. Another downloader
    (an auditor) who does not see them is refused, and the file stays its requester's."""
    detail = {"export": str(export.pk), "reason": "rows_left_view"}
    if actor.pk != export.requester_id:
        audit.record(actor, AuditAction.ACCESS_DENIED, export,
                     organisation_id=export.organisation_id, detail={**detail, "kind": "export"})
        return
    name = export.file.name
    with transaction.atomic():
        if not Export.objects.filter(pk=export.pk, status=Status.READY).update(
                status=Status.WITHDRAWN, file=""):
            return
        kept.forget(export)
        audit.record(actor, AuditAction.WITHDRAW, export,
                     organisation_id=export.organisation_id, detail=detail)
    if name:
        export.file.storage.delete(name)
