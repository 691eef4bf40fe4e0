"""Imports: a spreadsheet brought in, checked row by row, then committed all or nothing; the
records it made, known by the importing organisation's own references; column mappings kept for
the next file of the same shape."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import DataKey, Organisation


class Kind(models.TextChoices):
    CASES = "cases", _("Cases with their subjects and offences")
    ASSURANCES = "assurances", _("Assurances")
    PROCEEDINGS = "proceedings", _("Proceedings")
    CHECKS = "checks", _("Checks made after surrender, with their findings")


class DateFormat(models.TextChoices):
    ISO = "iso", _("Year-month-day only (2024-03-31)")
    DMY = "dmy", _("Day first (31/03/2024, 31.03.2024)")
    MDY = "mdy", _("Month first (03/31/2024)")


class ImportJob(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded: map the columns")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Not imported")
        DISCARDED = "discarded", _("Discarded")

    RUNNING = (Status.CHECKING, Status.IMPORTING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The upload, sealed under a data key of the import's own (`imports.storage`), deleted
    # once the import is done or discarded.
    file = models.CharField(max_length=300, blank=True)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=10)
    encoding = models.CharField(max_length=20, blank=True)
    headers = models.JSONField(default=list)
    rows = models.PositiveIntegerField(default=0)
    # Header -> field name ("" leaves the column out).
    mapping = models.JSONField(default=dict, blank=True)
    date_format = models.CharField(max_length=5, choices=DateFormat.choices,
                                   default=DateFormat.ISO)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    rows_done = models.PositiveIntegerField(default=0)
    # What the check found or the import did: rows to create, update, leave unchanged, in
    # error; and the first errors, each {"row", "field", "message"}.
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    # The version of each record the check found to update, by external reference: the
    # commit's version check.
    versions = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk}"

    @property
    def owner_organisation_id(self) -> int:
        return self.organisation_id

    @property
    def progress(self) -> int:
        return round(100 * self.rows_done / self.rows) if self.rows else 0


class ColumnMapping(models.Model):
    """A mapping of headers to fields, named and kept by an organisation for its next files."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100)
    columns = models.JSONField(default=dict)
    date_format = models.CharField(max_length=5, choices=DateFormat.choices,
                                   default=DateFormat.ISO)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "kind", "name"],
                                               name="uniq_import_mapping_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def owner_organisation_id(self) -> int:
        return self.organisation_id


class ExternalReference(models.Model):
    """An organisation's own reference for a record it imported: a second import of the same
    row finds the record again. `digest` is of the values last imported, so that an unchanged
    row changes nothing."""

    class Target(models.TextChoices):
        SUBJECT = "subject", _("Subject")
        CASE = "case", _("Case")
        ASSURANCE = "assurance", _("Assurance")
        PROCEEDING = "proceeding", _("Proceeding")
        REPORT = "report", _("Check report")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=20, choices=Target.choices)
    reference = models.CharField(max_length=200)
    object_id = models.UUIDField()
    digest = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "target", "reference"],
                                               name="uniq_external_reference")]
        indexes = [models.Index(fields=["target", "object_id"], name="external_ref_object")]

    def __str__(self) -> str:
        return self.reference
