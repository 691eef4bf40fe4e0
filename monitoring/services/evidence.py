"""Evidence files of a report, accepted by their content."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from cases import audit
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
