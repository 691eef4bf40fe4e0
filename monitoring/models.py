import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from cases.models import Assurance, Case, Organisation, ProceedingEvent, SharingGroup
from cases.models.record_keys import RecordKeyField
from cases.models.sealed import OfCaseSubject, SealedTextField
from cases.models.sharing import TLP, Distribution, sharing_group_iff_distribution

from .cadence import CustodyPhase, Profile
from .models_calendar import CalendarFeed as CalendarFeed


class MonitoringSettings(models.Model):
    """An organisation's defaults for the plans of its cases."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="monitoring_settings"
    )
    profile = models.CharField(max_length=20, choices=Profile.choices, default=Profile.STANDARD)
    cadence = models.JSONField(default=dict, blank=True, help_text=_("For the custom profile."))
    due_soon_days = models.PositiveSmallIntegerField(default=3)
    escalation_days = models.PositiveSmallIntegerField(default=7)
    missed_after_days = models.PositiveSmallIntegerField(default=14)
    # The organisation's rule for a case without a caseworker: its follow-ups go to this member.
    default_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("default assignee"),
        help_text=_("Follow-ups of a case without a caseworker are assigned to this member."),
    )
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"monitoring settings of {self.organisation}"


class MonitoringPlan(models.Model):
    """The checks on one surrendered person: created when the case moves to monitoring."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="monitoring_plan")
    profile = models.CharField(max_length=20, choices=Profile.choices)
    cadence = models.JSONField()
    day_zero = models.DateTimeField(_("surrender (day 0)"))
    custody_phase = models.CharField(
        max_length=30, choices=CustodyPhase.choices, default=CustodyPhase.INITIAL_CUSTODY
    )
    phase_since = models.DateTimeField()
    due_soon_days = models.PositiveSmallIntegerField(default=3)
    escalation_days = models.PositiveSmallIntegerField(default=7)
    missed_after_days = models.PositiveSmallIntegerField(default=14)
    # Silence: no check with access granted since `last_access_at` (day 0 at first); the alarm
    # is due at `silence_due_at`.
    last_access_at = models.DateTimeField(null=True, blank=True)
    silence_due_at = models.DateTimeField()  # the sweep's: the (active, silence_due_at) index
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["active", "silence_due_at"])]

    def __str__(self) -> str:
        return f"monitoring plan of {self.case}"


_OPEN_STATUSES = ("scheduled", "due", "overdue")  # FollowUp.OPEN, still to be done


def open_first_expression() -> models.Case:
    """0 for an open follow-up, 1 for a completed or ended one (FollowUp.open_first)."""
    return models.Case(models.When(status__in=_OPEN_STATUSES, then=models.Value(0)),
                       default=models.Value(1), output_field=models.IntegerField())


class FollowUp(OfCaseSubject, models.Model):
    class Kind(models.TextChoices):
        FIRST_VISIT = "first_visit", _("First private visit")
        CADENCE = "cadence", _("Regular check")
        HEARING = "hearing", _("Hearing attendance")
        AFTER_HEARING = "after_hearing", _("Check after a hearing")
        AD_HOC = "ad_hoc", _("Ad hoc check")

    class Mode(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL = "call", _("Call")
        TRIAL_ATTENDANCE = "trial_attendance", _("Trial attendance")
        LAWYER_REPORT = "lawyer_report", _("Lawyer report")
        FAMILY_REPORT = "family_report", _("Family report")
        DESK_REVIEW = "desk_review", _("Desk review")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        DUE = "due", _("Due")
        OVERDUE = "overdue", _("Overdue")
        COMPLETED = "completed", _("Completed")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = tuple(map(Status, _OPEN_STATUSES))

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Case and assignee: served by the (case, status) and (assignee, status) indexes.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="follow_ups",
                             db_index=False)
    plan = models.ForeignKey(
        MonitoringPlan, on_delete=models.CASCADE, null=True, blank=True, related_name="follow_ups"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.VISIT)
    hearing = models.ForeignKey(
        ProceedingEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="follow_ups", db_index=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    # The window in which the check counts, and the moments the sweep acts on.
    window_opens_at = models.DateTimeField()
    due_at = models.DateTimeField()
    due_soon_at = models.DateTimeField()
    escalate_at = models.DateTimeField()
    missed_at = models.DateTimeField()
    # Alerts already written for this follow-up: a fast filter for the sweep; the unique
    # deduplication key of each notification is what guarantees "once".
    alert_stage = models.PositiveSmallIntegerField(default=0)
    escalated = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    note = SealedTextField(blank=True, max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["status", "due_soon_at"]),
            models.Index(fields=["status", "window_opens_at"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["status", "escalated", "escalate_at"]),
            models.Index(fields=["status", "missed_at"]),
            models.Index(fields=["case", "status"]),
            models.Index(fields=["assignee", "status"]),
            # Each order the lists offer, with its tie-breaker (the id), read off an index, not
            # a sort of every visible follow-up: the API's, the web list's (open ones first).
            models.Index(fields=["due_at", "id"], name="followup_due_order"),
            models.Index(fields=["created_at", "id"], name="followup_created_order"),
            models.Index(open_first_expression(), models.F("due_at"), models.F("id"),
                         name="followup_open_due_order"),
            models.Index(open_first_expression(), models.F("due_at").desc(),
                         models.F("id").desc(), name="followup_open_due_desc"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_opens_at__lte=models.F("due_at")),
                name="follow_up_window_before_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.case} due {self.due_at:%Y-%m-%d}"

    # An ordering term that lists open follow-ups before completed and ended ones.
    open_first = staticmethod(open_first_expression)


class CheckReport(OfCaseSubject, models.Model):
    """What a completed follow-up found."""

    class Access(models.TextChoices):
        GRANTED = "granted", _("Granted")
        DELAYED = "delayed", _("Delayed")
        REFUSED = "refused", _("Refused")

    class Privacy(models.TextChoices):
        PRIVATE = "private", _("In private")
        OFFICIALS_PRESENT = "officials_present", _("Within officials' earshot")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record_key = RecordKeyField()
    follow_up = models.OneToOneField(FollowUp, on_delete=models.PROTECT, related_name="report")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="check_reports")
    checked_at = models.DateTimeField()
    visitors = models.CharField(_("who visited"), max_length=500, blank=True)
    access = models.CharField(max_length=20, choices=Access.choices)
    access_delay_hours = models.PositiveIntegerField(null=True, blank=True)
    refusal_reason = SealedTextField(blank=True, max_length=5000)
    privacy = models.CharField(
        max_length=20, choices=Privacy.choices, default=Privacy.NOT_APPLICABLE
    )
    interpreter_independent = models.BooleanField(null=True)
    doctor_present = models.BooleanField(null=True)
    custody_phase = models.CharField(max_length=30, choices=CustodyPhase.choices, blank=True)
    facility = models.CharField(max_length=300, blank=True)
    condition = SealedTextField(blank=True, max_length=10000)
    allegations = SealedTextField(blank=True, max_length=10000)
    legal_status = SealedTextField(blank=True, max_length=5000)
    family_contact = SealedTextField(blank=True, max_length=5000)
    trial_observations = SealedTextField(blank=True, max_length=20000)
    narrative = SealedTextField(blank=True, max_length=50000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-checked_at"]
        constraints = [models.CheckConstraint(
            condition=~models.Q(access="delayed") | models.Q(access_delay_hours__isnull=False),
            name="delay_has_hours")]
        # Each case's first check with access, for the record: read off the index alone.
        indexes = [models.Index(fields=["case", "checked_at"], name="checkreport_granted",
                                condition=models.Q(access="granted"))]

    def __str__(self) -> str:
        return f"check of {self.case} on {self.checked_at:%Y-%m-%d}"


class Finding(OfCaseSubject, models.Model):
    """The verdict on one assurance from one check. Missing data never counts as compliance."""

    class Outcome(models.TextChoices):
        COMPLIED = "complied", _("Complied")
        COMPLIED_WITH_CONCERNS = "complied_with_concerns", _("Complied with concerns")
        PARTIAL = "partial", _("Partially complied")
        ACCESS_DELAYED = "access_delayed", _("Access delayed")
        UNVERIFIABLE = "unverifiable", _("Unverifiable")
        MONITORING_LAPSED = "monitoring_lapsed", _("Monitoring lapsed")
        ALLEGATION_PENDING = "allegation_pending", _("Allegation pending")
        ACCESS_DENIED = "access_denied", _("Access denied")
        BREACH = "breach", _("Breach")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Confidence(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record_key = RecordKeyField()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="findings")
    # Null for a lapse of monitoring itself when the case has no monitoring-access assurance.
    assurance = models.ForeignKey(
        Assurance, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    report = models.ForeignKey(
        CheckReport, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    confidence = models.CharField(
        max_length=10, choices=Confidence.choices, default=Confidence.MEDIUM
    )
    evidence_summary = SealedTextField(blank=True, max_length=20000)
    is_open = models.BooleanField(default=True)
    # Sharing (DESIGN.md §4): like its case, never wider than it unless aggregate_only. A new
    # finding takes its case's distribution, group and label.
    distribution = models.CharField(
        max_length=20, choices=Distribution.choices, default=Distribution.ORGANISATION
    )
    sharing_group = models.ForeignKey(
        SharingGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="findings"
    )
    tlp = models.CharField(_("TLP label"), max_length=20, choices=TLP.choices, default=TLP.AMBER)
    # Whether recipients see `evidence_summary`: free text stays with the owner unless marked.
    summary_shareable = models.BooleanField(default=False)
    shared_at = models.DateTimeField(null=True, blank=True, db_index=True)
    observed_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-observed_at"]
        indexes = [
            models.Index(fields=["case", "assurance", "is_open"]),
            models.Index(fields=["distribution", "sharing_group"]),
            # Each order the list offers, with its tie-breaker (the id), read off an index.
            models.Index(fields=["observed_at", "id"], name="finding_observed_order"),
            models.Index(fields=["created_at", "id"], name="finding_created_order"),
        ]
        constraints = [
            sharing_group_iff_distribution("finding_sharing_group_iff_distribution"),
            models.UniqueConstraint(
                fields=["report", "assurance"], name="one_finding_per_assurance_per_report"
            ),
            models.UniqueConstraint(
                fields=["follow_up"],
                condition=models.Q(outcome="monitoring_lapsed"),
                name="one_lapse_per_follow_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.case})"


class FindingShare(models.Model):
    """A recipient passing a finding on, where its label allows (GREEN, CLEAR). It never opens
    the case: only those who see the case see the finding through it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="reshares")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    distribution = models.CharField(
        max_length=20,
        choices=[(Distribution.SHARING_GROUP, Distribution.SHARING_GROUP.label),
                 (Distribution.NETWORK, Distribution.NETWORK.label)],
    )
    sharing_group = models.ForeignKey(
        SharingGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(distribution=Distribution.SHARING_GROUP, sharing_group__isnull=False)
                    | models.Q(distribution=Distribution.NETWORK, sharing_group__isnull=True)
                ),
                name="reshare_group_iff_distribution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.finding_id} passed on by {self.organisation}"

    @property
    def case(self):
        return self.finding.case


class FindingComment(OfCaseSubject, models.Model):
    """A recipient's (or the owner's) comment on a finding: seen by all who see the finding."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="comments")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = SealedTextField(max_length=10000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"comment on {self.finding_id} by {self.organisation}"

    @property
    def case(self):
        return self.finding.case


# How bad an outcome is, for "a case's compliance is its worst open finding". An assurance
# with no finding is "unverified", ranked with "unverifiable": never as compliance.
UNVERIFIED = "unverified"
OUTCOME_RANK = {
    Finding.Outcome.COMPLIED: 0,
    Finding.Outcome.COMPLIED_WITH_CONCERNS: 1,
    Finding.Outcome.PARTIAL: 2,
    Finding.Outcome.ACCESS_DELAYED: 3,
    UNVERIFIED: 4,
    Finding.Outcome.UNVERIFIABLE: 4,
    Finding.Outcome.MONITORING_LAPSED: 5,
    Finding.Outcome.ALLEGATION_PENDING: 6,
    Finding.Outcome.ACCESS_DENIED: 7,
    Finding.Outcome.BREACH: 8,
}


def evidence_path(instance, filename: str) -> str:
    # The stored name says nothing about the content: the original name stays in the row.
    return f"evidence/{instance.case_id}/{instance.id}"


class Evidence(models.Model):
    class Classification(models.TextChoices):
        INTERNAL = "internal", _("Internal")
        CONFIDENTIAL = "confidential", _("Confidential")
        RESTRICTED = "restricted", _("Restricted")

    class LocationData(models.TextChoices):
        """Whether the file told where it was made (an image's GPS position or place names)."""

        NOT_CHECKED = "not_checked", _("Not checked")
        NONE = "none", _("None found")
        REMOVED = "removed", _("Removed")
        KEPT = "kept", _("Kept on purpose")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    report = models.ForeignKey(CheckReport, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=300)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    classification = models.CharField(
        max_length=20, choices=Classification.choices, default=Classification.CONFIDENTIAL
    )
    location_data = models.CharField(
        _("location data"), max_length=20, choices=LocationData.choices,
        default=LocationData.NOT_CHECKED,
        help_text=_("Looked for in JPEG, PNG and WebP images, and removed unless kept on "
                    "purpose."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When the file was deleted with its subject's identifiers; its hash and size stay.
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"evidence {self.sha256[:12]} ({self.case})"


class Notification(models.Model):
    """The outbox: one row per reminder or alert per recipient, written once (unique key),
    delivered by a task that records the result."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Follow-up due soon")
        DUE = "due", _("Follow-up due")
        OVERDUE = "overdue", _("Follow-up overdue")
        ESCALATION = "escalation", _("Overdue follow-up escalated")
        MISSED = "missed", _("Follow-up missed")
        SILENCE = "silence", _("No access to the person within the plan's interval")
        EXPORT_READY = "export_ready", _("Export ready")
        RETENTION_NOTICE = "retention_notice", _("Identifiers to be erased")
        FINDING_SHARED = "finding_shared", _("Finding shared with your organisation")
        FINDING_COMMENT = "finding_comment", _("New comment on your organisation's finding")

    # Served by the (recipient, read_at) index.
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # An alert is about a case; an export's notice about the export alone.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # An export's notice: the id of the export, a record of an app built on this one (whose
    # `delivery.register_still_for` check decides whether the recipient still sees it).
    export = models.UUIDField(null=True, blank=True, db_column="export_id")  # no query by it
    # Unique by `notification_once` (a unique field gets a LIKE index nothing uses).
    dedup_key = models.CharField(max_length=200)
    # References only: never a name (e-mails leave the system).
    subject = models.CharField(max_length=300)
    body = models.TextField(max_length=5000)
    # What the title and body are made of, to write them in the reader's language when they
    # are shown or sent (`text`); `subject` and `body` keep them in English. See `params_of`.
    params = models.JSONField(default=dict, blank=True)
    send_email = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, max_length=2000)
    failed = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["dedup_key"], name="notification_once")]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # The pending outbox in the order delivery claims it: a batch takes one
            # recipient's notifications together (their visibility is one query), reading
            # the index directly however long the backlog.
            models.Index(
                fields=["recipient", "id"],
                condition=models.Q(sent_at__isnull=True, failed=False),
                name="notification_pending_by_user",
            ),
        ]

    # Begins the e-mail subject; the application's own pages say where they are without it.
    EMAIL_PREFIX = "[Extradition Monitor] "

    def __str__(self) -> str:
        return self.dedup_key

    @property
    def title(self) -> str:
        """The subject as a page shows it: without the e-mail's prefix."""
        return self.subject.removeprefix(self.EMAIL_PREFIX)

    # The title of an alert whose params name none: its kind, and the case's reference.
    TITLE = gettext_noop("%(kind)s: %(ref)s")

    @staticmethod
    def params_of(*, body: str, title: str = "", args: dict | None = None,
                  dates: dict | None = None, terms: dict | None = None) -> dict:
        """The params of a notice: `title` and `body` are msgids (marked with gettext_noop);
        `args` fill them as they are (a reference, a number: never a name), `dates` as the
        reader writes a date or a moment, in their time zone, and `terms` are msgids
        translated before they fill them (a label)."""
        params = {"body": body, "args": args or {}}
        if title:
            params["title"] = title
        if dates:
            params["dates"] = {name: value.isoformat() for name, value in dates.items()}
        if terms:
            params["terms"] = terms
        return params

    def text(self) -> tuple[str, str]:
        """(title, body) in the active language, moments in the current time zone; without
        params (notices written before them), the stored English."""
        params = self.params or {}
        if not params.get("body"):
            return self.title, self.body
        # The label straight from the choices (get_kind_display rebuilds a dict of them).
        words = {"kind": str(_KIND_LABELS.get(self.kind, self.kind)), **params.get("args", {})}
        words.update({name: gettext(msgid) for name, msgid in params.get("terms", {}).items()})
        words.update({name: _written(value) for name, value in params.get("dates", {}).items()})
        return (_filled(params.get("title") or self.TITLE, words),
                _filled(params["body"], words))

    @property
    def localized_title(self) -> str:
        return self.text()[0]

    @property
    def localized_body(self) -> str:
        return self.text()[1]


_KIND_LABELS = dict(Notification.Kind.choices)


def _filled(msgid: str, words: dict) -> str:
    """The translation of `msgid` filled with `words`; the English where a translation does
    not fit them."""
    try:
        return gettext(msgid) % words
    except (KeyError, ValueError, TypeError):
        return msgid % words


def _written(value: str) -> str:
    """An ISO 8601 moment as the active language writes it, in the current time zone; a day
    as it writes a day."""
    day = parse_date(value)
    if day is not None:
        return formats.date_format(day, "DATE_FORMAT")
    moment = parse_datetime(value)
    if moment is None:
        return value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    moment = timezone.localtime(moment)
    # The zone's name after the moment: an e-mail may be read anywhere.
    return f"{formats.date_format(moment, 'DATETIME_FORMAT')} {formats.date_format(moment, 'T')}"


class NotificationPreference(models.Model):
    """Which alerts a user also receives by e-mail (in-app always)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="uniq_notification_preference")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} email={self.email}"
