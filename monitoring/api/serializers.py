import uuid

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import policy
from cases.api.base import (
    OwnerAwareSerializer,
    StrictBooleanField,
    StrictModelSerializer,
    StrictSerializer,
    VisibleRelatedField,
    uuid_ref,
    version_field,
)
from cases.api.serializers import ColleagueField
from cases.models import Assurance, Case, Organisation, SharingGroup
from cases.models.sharing import TLP, Distribution
from cases.services.cases import CONSENT_REASON_MAX

from ..cadence import CustodyPhase, Profile
from ..evidence_files import ACCEPTED_TYPES, KEEP_LOCATION_HELP
from ..models import (
    CheckReport,
    Evidence,
    Finding,
    FindingComment,
    FindingShare,
    FollowUp,
    MonitoringPlan,
    Notification,
    NotificationPreference,
)
from ..services.notifications import FINDING_KINDS


class MonitoringPlanSerializer(OwnerAwareSerializer):
    """How often a surrendered person is checked: the cadence and the custody phase."""

    case = serializers.PrimaryKeyRelatedField(read_only=True)
    profile = serializers.ChoiceField(choices=Profile.choices, required=False)
    cadence = serializers.JSONField(required=False)
    version = version_field()

    class Meta:
        model = MonitoringPlan
        fields = [
            "id", "case", "profile", "cadence", "day_zero", "custody_phase", "phase_since",
            "due_soon_days", "escalation_days", "missed_after_days", "last_access_at",
            "silence_due_at", "active", "created_at", "updated_at", "version",
        ]
        read_only_fields = [
            "id", "day_zero", "custody_phase", "phase_since", "last_access_at",
            "silence_due_at", "active", "created_at", "updated_at",
        ]


class PhaseChangeSerializer(StrictSerializer):
    """A new custody phase, from a date."""

    phase = serializers.ChoiceField(choices=CustodyPhase.choices)
    date = serializers.DateTimeField(required=False)


# The one status a follow-up is given by hand (named in the schema by ENUM_NAME_OVERRIDES).
WRITABLE_STATUSES = [(FollowUp.Status.CANCELLED.value, FollowUp.Status.CANCELLED.label)]


class FollowUpSerializer(OwnerAwareSerializer):
    """A check due on a monitored case. Outside the owning organisation the assignee and the
    note are left out."""

    case = uuid_ref(Case)
    assignee = ColleagueField(required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=WRITABLE_STATUSES, required=False,
        help_text=_("Only 'cancelled' may be written: the rest follows from the schedule."),
    )
    due_at = serializers.DateTimeField()
    window_opens_at = serializers.DateTimeField(required=False)
    has_report = serializers.SerializerMethodField()
    version = version_field()

    class Meta:
        model = FollowUp
        fields = [
            "id", "case", "kind", "mode", "assignee", "status", "window_opens_at", "due_at",
            "hearing", "completed_at", "note", "has_report", "created_at", "updated_at",
            "version",
        ]
        read_only_fields = ["id", "kind", "hearing", "completed_at", "created_at", "updated_at"]
        create_only_fields = ["case"]
        owner_only_fields = ["assignee", "note"]

    def get_fields(self):
        fields = super().get_fields()
        purpose = self.purpose()
        if purpose == "create":
            # A new follow-up is scheduled; it may be cancelled once it exists.
            fields.pop("status", None)
        else:
            fields["due_at"].required = False
        if purpose == "read":
            fields["status"] = serializers.ChoiceField(
                choices=FollowUp.Status.choices, read_only=True
            )
        return fields

    def get_has_report(self, follow_up) -> bool:
        return follow_up.status == FollowUp.Status.COMPLETED

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["status"] = instance.status
        return data


class FindingInputSerializer(StrictSerializer):
    """What a check found for one assurance."""

    assurance = uuid_ref(Assurance, required=False, allow_null=True)
    outcome = serializers.ChoiceField(choices=Finding.Outcome.choices)
    severity = serializers.ChoiceField(choices=Finding.Severity.choices)
    confidence = serializers.ChoiceField(
        choices=Finding.Confidence.choices, default=Finding.Confidence.MEDIUM
    )
    evidence_summary = serializers.CharField(
        required=False, allow_blank=True, max_length=20000, default=""
    )


class FindingSerializer(OwnerAwareSerializer):
    """What a check found for one assurance. Outside the owning organisation the evidence
    summary is left out unless the owner marked it shareable."""

    case_reference = serializers.CharField(source="case.reference", read_only=True)
    requesting_state = serializers.CharField(source="case.requesting_state_id", read_only=True)
    assurance_type = serializers.CharField(source="assurance.type", read_only=True, default=None)
    version = version_field()

    class Meta:
        model = Finding
        fields = [
            "id", "case", "case_reference", "requesting_state", "assurance", "assurance_type",
            "report", "follow_up", "outcome", "severity", "confidence", "evidence_summary",
            "summary_shareable", "is_open", "distribution", "sharing_group", "tlp",
            "shared_at", "observed_at", "created_at", "version",
        ]
        read_only_fields = [
            "id", "case", "assurance", "report", "follow_up", "outcome", "observed_at",
            "created_at", "distribution", "sharing_group", "tlp", "summary_shareable",
            "shared_at",
        ]
        # Outside the owner, only where the owner marked the summary shareable.
        withheld_fields = ["evidence_summary"]

    def to_representation(self, finding):
        data = super().to_representation(finding)
        if not self.is_owner_member(finding) and not finding.summary_shareable:
            data.pop("evidence_summary", None)
        return data


class FindingShareInputSerializer(StrictSerializer):
    """The owner's choice of how far a finding travels."""

    distribution = serializers.ChoiceField(choices=Distribution.choices)
    sharing_group = VisibleRelatedField(model=SharingGroup, required=False, allow_null=True)
    tlp = serializers.ChoiceField(choices=TLP.choices, required=False)
    summary_shareable = StrictBooleanField(required=False)
    consent_override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=CONSENT_REASON_MAX,
        help_text="Why the finding is shared although its subject withheld consent to share: "
                  "required then (unless the owner never shares without consent, when the "
                  "share is refused), kept in the audit event. No names or other identifiers.",
    )
    version = serializers.IntegerField(min_value=1)


class ReshareSerializer(StrictModelSerializer):
    """A recipient passing a finding on."""

    finding = uuid_ref(Finding)
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False
    )
    sharing_group = VisibleRelatedField(model=SharingGroup, required=False, allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = FindingShare
        fields = [
            "id", "finding", "organisation", "distribution", "sharing_group", "created_by",
            "created_at", "withdrawn_at",
        ]
        read_only_fields = ["id", "created_at", "withdrawn_at"]
        create_only_fields = ["finding", "organisation", "distribution", "sharing_group"]


class FindingCommentSerializer(StrictModelSerializer):
    """A comment of the owner or a recipient on a finding."""

    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False
    )
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = FindingComment
        fields = ["id", "organisation", "author", "text", "created_at"]
        read_only_fields = ["id", "created_at"]


REPORT_FIELDS = [
    "checked_at", "visitors", "access", "access_delay_hours", "refusal_reason", "privacy",
    "interpreter_independent", "doctor_present", "custody_phase", "facility", "condition",
    "allegations", "legal_status", "family_contact", "trial_observations", "narrative",
]
# What travels to other organisations: the structure of a check, not its free text.
REPORT_OWNER_ONLY = [
    "visitors", "refusal_reason", "facility", "condition", "allegations", "legal_status",
    "family_contact", "trial_observations", "narrative",
]


class CheckReportSerializer(OwnerAwareSerializer):
    """The report of a check. Outside the owning organisation its free text is left out."""

    findings = FindingSerializer(many=True, read_only=True)

    class Meta:
        model = CheckReport
        fields = ["id", "case", "follow_up", *REPORT_FIELDS, "findings", "created_at"]
        read_only_fields = ["id", "case", "follow_up", "created_at"]
        owner_only_fields = REPORT_OWNER_ONLY

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.is_owner_member(instance):
            for finding in data["findings"]:
                finding.pop("evidence_summary", None)
        return data


class ReportInputSerializer(StrictModelSerializer):
    """The report of a check and its findings, stored together or not at all."""

    findings = FindingInputSerializer(many=True, required=False)

    class Meta:
        model = CheckReport
        fields = [*REPORT_FIELDS, "findings"]


class EvidenceSerializer(StrictModelSerializer):
    """A file that supports a check report."""

    report = uuid_ref(CheckReport)
    file = serializers.FileField(
        write_only=True,
        help_text=format_lazy("{} {}", _("Accepted, by its content:"), ACCEPTED_TYPES),
    )
    keep_location = serializers.BooleanField(
        write_only=True, required=False, default=False, help_text=KEEP_LOCATION_HELP,
    )
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Evidence
        fields = [
            "id", "case", "report", "file", "keep_location", "original_name", "sha256", "size",
            "content_type", "location_data", "classification", "uploaded_by", "created_at",
        ]
        read_only_fields = [
            "id", "case", "original_name", "sha256", "size", "content_type", "location_data",
            "created_at",
        ]


class NotificationSerializer(serializers.ModelSerializer):
    """An alert for the signed-in user."""

    case_reference = serializers.CharField(source="case.reference", read_only=True,
                                           default=None)
    finding = serializers.SerializerMethodField(
        help_text="The finding a notice of a share or a comment is about.")

    class Meta:
        model = Notification
        fields = [
            "id", "kind", "case", "case_reference", "follow_up", "finding", "export", "subject",
            "body", "created_at", "sent_at", "read_at",
        ]

    def get_finding(self, notification) -> uuid.UUID | None:
        return notification.export if notification.kind in FINDING_KINDS else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.kind in FINDING_KINDS:
            data["export"] = None
        return data


class NotificationPreferenceSerializer(StrictModelSerializer):
    """Whether one kind of alert also comes by e-mail."""

    kind = serializers.ChoiceField(choices=Notification.Kind.choices)

    class Meta:
        model = NotificationPreference
        fields = ["kind", "email"]
        # Required although the model has a default: a PUT states each choice it sends.
        extra_kwargs = {"email": {"required": True}}
        validators = []


class ComplianceRowSerializer(serializers.Serializer):
    """How one assurance of a case has fared."""

    assurance = serializers.UUIDField()
    type = serializers.CharField()
    latest_outcome = serializers.CharField()
    worst_open_finding = serializers.CharField()
    checks_done = serializers.IntegerField()
    last_checked_at = serializers.DateTimeField(allow_null=True)


class ComplianceSerializer(serializers.Serializer):
    """A case's compliance: per assurance, and its worst open finding."""

    case = serializers.UUIDField()
    reference = serializers.CharField()
    compliance = serializers.CharField()
    assurances = ComplianceRowSerializer(many=True)
    checks_done = serializers.IntegerField()
    lapses = serializers.IntegerField()
    last_access_granted_at = serializers.DateTimeField(allow_null=True)
    next_due_at = serializers.DateTimeField(allow_null=True)
    next_follow_up = serializers.UUIDField(allow_null=True)


@extend_schema_field(OpenApiTypes.STR)
class MyOrganisationField(serializers.SlugRelatedField):
    """One of the caller's organisations, by slug."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="slug", **kwargs)

    def get_queryset(self):
        mine = list(policy.roles(self.context["request"].user))
        return Organisation.objects.filter(pk__in=mine)


class InboxQuerySerializer(StrictSerializer):
    """Which newly shared records to list."""

    since = serializers.DateTimeField(
        required=False, help_text=_("Shared at or after this moment; 30 days ago if not given.")
    )
    organisation = MyOrganisationField(
        required=False, help_text=_("Only what was shared with this one of your organisations."),
    )


class InboxItemSerializer(serializers.Serializer):
    """Something newly shared with one of the caller's organisations."""

    kind = serializers.CharField()
    id = serializers.UUIDField()
    reference = serializers.CharField()
    case = serializers.UUIDField()
    shared_at = serializers.DateTimeField()
    shared_by = serializers.CharField()
    tlp = serializers.CharField()
