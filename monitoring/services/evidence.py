"""Evidence files of a report, accepted by their content; opened again by the owning
organisation alone, each page seen and each download audited."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import audit, policy
from cases.policy import Action, Resource
from cases.services import Actor

from .. import evidence_files
from ..models import CheckReport, Evidence
from .common import AuditAction, _require_monitoring


def evidence_upload(
    *,
    actor: Actor,
    report: CheckReport,
    file: UploadedFile,
    classification: str = "confidential",
    keep_location: bool = False,
) -> Evidence:
    """Store a file of evidence, of an accepted type read from its content, never from its name;
    an image without its location unless `keep_location`. The digest is of what is stored."""
    _require_monitoring(actor, report.case)
    limit = settings.EVIDENCE_MAX_BYTES
    if file.size is None or file.size > limit:
        raise ValidationError({"file": _("The file is larger than the limit of %(size)s.") % {
            "size": filesizeformat(limit)}})
    if file.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    try:
        checked = evidence_files.check(file, keep_location=keep_location)
    except evidence_files.Refused as refusal:
        raise ValidationError({"file": str(refusal)}) from None
    stored = file if checked.content is None else ContentFile(checked.content)
    digest = hashlib.sha256()
    for chunk in stored.chunks():
        digest.update(chunk)
    stored.seek(0)
    with transaction.atomic():
        evidence = Evidence(
            case=report.case, report=report, original_name=(file.name or "")[:255],
            sha256=digest.hexdigest(), size=stored.size, content_type=checked.content_type,
            location_data=checked.location_data, classification=classification,
            uploaded_by=actor,
        )
        evidence.file.save(evidence.id.hex, stored, save=False)
        try:
            evidence.save()
            audit.record(actor, AuditAction.CREATE, evidence, organisation_id=report.case.owner_id,
                         detail={"sha256": evidence.sha256, "size": evidence.size,
                                 "location_data": evidence.location_data})
        except Exception:
            evidence.file.delete(save=False)
            raise
    return evidence


class Erased(Exception):
    """The file was deleted with its subject's identifiers; its hash, size and type stay (410)."""


ERASED = gettext_lazy("This file was deleted when its subject's identifiers were erased.")


def _require_open(actor: Actor, evidence: Evidence) -> None:
    """Only the owning organisation's members who read its monitoring open a file; to anyone
    else it does not exist (404), and once erased it is gone (410)."""
    policy.require(actor, Action.VIEW, evidence)
    if not policy.has_right(actor, evidence.case.owner_id, Resource.MONITORING, Action.VIEW):
        raise Http404
    if evidence.erased_at is not None:
        raise Erased(ERASED)


def _read(evidence: Evidence) -> bytes:
    """The stored file, whole (at most EVIDENCE_MAX_BYTES), for a preview."""
    try:
        with evidence.file.storage.open(evidence.file.name, "rb") as stored:
            return stored.read()
    except OSError as error:
        raise evidence_files.Unpreviewable(str(error)) from error


def evidence_preview_pages(*, actor: Actor, evidence: Evidence) -> evidence_files.Pages:
    """How many pages the file's preview has; `evidence_files.Unpreviewable` when it has none.
    Nothing of the file is shown, so nothing is audited."""
    _require_open(actor, evidence)
    return evidence_files.preview_pages(evidence.content_type, _read(evidence))


def evidence_preview(*, actor: Actor, evidence: Evidence, page: int) -> bytes:
    """Page `page` of an image or PDF drawn as a PNG, audited as a view of the evidence."""
    _require_open(actor, evidence)
    png = evidence_files.preview_png(evidence.content_type, _read(evidence), page)
    audit.record(actor, AuditAction.EVIDENCE_VIEW, evidence, organisation_id=evidence.case.owner_id,
                 detail={"sha256": evidence.sha256, "page": page})
    return png


def evidence_download(*, actor: Actor, evidence: Evidence):
    """The stored file, open for reading, audited as a download."""
    _require_open(actor, evidence)
    stored = evidence.file.storage.open(evidence.file.name, "rb")
    try:
        audit.record(actor, AuditAction.EVIDENCE_DOWNLOAD, evidence,
                     organisation_id=evidence.case.owner_id, detail={"sha256": evidence.sha256})
    except Exception:
        stored.close()
        raise
    return stored
