"""Exports: a file taken out of the system, and the records it holds."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Organisation
from cases.models.sharing import TLP


def export_path(export, filename: str) -> str:
    return f"exports/{export.pk}/{filename}"


class Export(models.Model):
    """A file taken out of the system: what was asked, by whom, and the SHA-256 of what left.

    The rows come from the same restricted querysets as the API lists, at the moment the file is
    built. The file is kept until `expires_at`, then deleted; the row stays, so that a file met
    later can still be checked against it (`manage.py verify_export`).
    """

    class Kind(models.TextChoices):
        CASES = "cases", _("Cases")
        FOLLOW_UPS = "follow_ups", _("Follow-ups")
        FINDINGS = "findings", _("Findings")
        COMPLIANCE = "compliance", _("Compliance record")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        JSON = "json", "JSON"
        PDF = "pdf", "PDF"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        # Some of its rows left the requester's view: the file is gone.
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exports"
    )
    # The organisation the requester acted for: its auditors may download the file too.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    format = models.CharField(max_length=10, choices=Format.choices)
    filters = models.JSONField(default=dict, blank=True)
    include_identifiers = models.BooleanField(default=False)
    # The requester's language when asked: the file's headings and words are written in it,
    # whenever and wherever it is built.
    language = models.CharField(max_length=10, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    # Rows expected when requested, then rows written.
    row_count = models.PositiveIntegerField(null=True, blank=True)
    # The strictest label of what the file holds: shown on it and on every page of a report.
    tlp = models.CharField(_("TLP label"), max_length=20, choices=TLP.choices, default=TLP.AMBER)
    file = models.FileField(upload_to=export_path, max_length=300, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    # The file's records are kept as ExportRecords, checked again at each download.
    rows_recorded = models.BooleanField(default=False)
    error = models.TextField(blank=True, max_length=2000)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        # The tables were made when exports belonged to monitoring; they keep their names.
        db_table = "monitoring_export"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "-created_at"],
                                name="monitoring__organis_345707_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="export_progress_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.kind}, {self.format})"

    @property
    def owner_organisation_id(self) -> int:
        return self.organisation_id


class ExportRecords(models.Model):
    """The records an export's file holds (cases, follow-ups or findings; for the compliance
    record each finding counted): their ids, 16 bytes each, one after the other. A download
    checks that the downloader still sees every one (`reporting.exports.kept`).

    One value per export, written by the statement that writes the file: a million ids are
    16 MB in one row, where a row per id cost as much again as writing the file."""

    # No database constraint: an export is never deleted (its ids are, when its file goes).
    export = models.OneToOneField(Export, on_delete=models.CASCADE, primary_key=True,
                                  related_name="+", db_constraint=False)
    ids = models.BinaryField(editable=False)

    def __str__(self) -> str:
        return f"{self.export_id}: {len(self.ids) // 16} records"
