from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import policy
from ..models import (
    Assurance,
    AuditEvent,
    Case,
    CaseTransition,
    Country,
    Invitation,
    LegalInstrument,
    Membership,
    Offence,
    Organisation,
    ProceedingEvent,
    SharingGroup,
    Subject,
    SubjectNationality,
)
from ..models.cases import TRANSITIONS
from ..selectors import nationality_consultation
from ..services.cases import CONSENT_REASON_MAX
from .base import (
    OwnerAwareSerializer,
    StrictModelSerializer,
    StrictSerializer,
    VisibleRelatedField,
    uuid_ref,
    version_field,
)

User = get_user_model()


def country_field(**kwargs) -> serializers.PrimaryKeyRelatedField:
    """A country by its ISO code (the primary key, so reading it costs no query)."""
    return serializers.PrimaryKeyRelatedField(
        queryset=Country.objects.all(),
        error_messages={"does_not_exist": _('Unknown country code "{pk_value}".')},
        **kwargs,
    )


def organisation_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), **kwargs
    )


class ColleagueField(serializers.SlugRelatedField):
    """A user by username, among the people who share an organisation with the caller."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", **kwargs)

    def get_queryset(self):
        mine = policy.visible(self.context["request"].user, Membership)
        return User.objects.filter(pk__in=mine.values("user_id"))


class OwnSubjectField(VisibleRelatedField):
    """A subject of one of the caller's organisations. Another's, even one whose pseudonym a
    shared case shows, fails exactly like a subject that does not exist."""

    def __init__(self, **kwargs):
        super().__init__(model=Subject, pk_field=serializers.UUIDField(), **kwargs)

    def get_queryset(self):
        mine = policy.roles(self.context["request"].user)
        return super().get_queryset().filter(owner_id__in=list(mine))


class CountrySerializer(serializers.ModelSerializer):
    """A country, with its memberships of the EU, the EEA and the Council of Europe."""

    class Meta:
        model = Country
        fields = [
            "code", "name", "eu_member", "eea_member", "coe_member",
            "memberships_as_of", "memberships_source",
        ]


class LegalInstrumentSerializer(serializers.ModelSerializer):
    """A treaty or other instrument between two states under which people are surrendered."""

    party_a = serializers.CharField(source="party_a_id")
    party_b = serializers.CharField(source="party_b_id")

    class Meta:
        model = LegalInstrument
        fields = [
            "id", "party_a", "party_b", "kind", "title", "signed_on", "ratified_a_on",
            "ratified_b_on", "in_force_on", "status", "nationality_exception",
            "death_penalty_clause", "torture_clause", "fair_trial_clause", "notes", "source",
            "recorded_on",
        ]


class OrganisationSerializer(serializers.ModelSerializer):
    """An organisation on the platform."""

    country = serializers.CharField(source="country_id")

    class Meta:
        model = Organisation
        fields = ["slug", "name", "kind", "country"]


class MembershipSerializer(StrictModelSerializer):
    """A person's role in one organisation. Org admins add, change and remove them."""

    organisation = organisation_field()
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())
    version = version_field()

    class Meta:
        model = Membership
        fields = ["id", "organisation", "user", "role", "created_at", "version"]
        read_only_fields = ["id", "created_at"]
        create_only_fields = ["organisation", "user"]
        # The user-organisation pair is checked by the service with a clear message.
        validators = []


class InvitationSerializer(StrictModelSerializer):
    """An account asked to join an organisation. It becomes a member when it accepts
    (`accept`); it may decline (`decline`); the organisation's admins may cancel it while it
    is pending (DELETE)."""

    organisation = organisation_field()
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())
    invited_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "organisation", "user", "role", "status", "invited_by", "created_at",
                  "expires_at", "answered_at"]
        read_only_fields = ["id", "status", "invited_by", "created_at", "expires_at",
                            "answered_at"]
        validators = []


class MeSerializer(serializers.Serializer):
    """The signed-in user and the organisations it acts for."""

    username = serializers.CharField()
    email = serializers.EmailField()
    memberships = serializers.SerializerMethodField()

    @extend_schema_field(
        serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    )
    def get_memberships(self, user):
        return [
            {"organisation": m.organisation.slug, "organisation_name": m.organisation.name,
             "role": m.role}
            for m in user.memberships.select_related("organisation")
        ]


class SharingGroupSerializer(StrictModelSerializer):
    """Organisations that share records with one another; its owner manages it."""

    organisation = organisation_field(write_only=True, required=False)
    owner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    members = organisation_field(many=True, required=False)
    version = version_field()

    class Meta:
        model = SharingGroup
        fields = [
            "id", "organisation", "owner", "name", "description", "members", "created_at",
            "updated_at", "version",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        create_only_fields = ["organisation"]
        validators = []


class NationalitySerializer(StrictModelSerializer):
    """A nationality of a subject, with when it was acquired or lost."""

    country = country_field()

    class Meta:
        model = SubjectNationality
        fields = ["country", "acquired_on", "lost_on"]
        validators = []


class SubjectSerializer(OwnerAwareSerializer):
    """A person whose extradition is recorded. Outside the owning organisation the person
    appears only as `reference`: names, birth date, contacts and notes are left out."""

    organisation = organisation_field(write_only=True, required=False)
    owner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    nationalities = NationalitySerializer(many=True, required=False)
    protection_state = country_field(required=False, allow_null=True)
    identifiers_visible = serializers.SerializerMethodField()
    version = version_field()

    class Meta:
        model = Subject
        fields = [
            "id", "reference", "organisation", "owner", *Subject.IDENTIFYING_FIELDS,
            "nationalities", "refugee_status", "protection_state", "reprisal_risk",
            "do_not_contact", "consent_to_record", "consent_to_share", "identifiers_visible",
            "erased_at", "erasure_reason", "created_at", "updated_at", "version",
        ]
        read_only_fields = ["id", "reference", "erased_at", "erasure_reason", "created_at",
                            "updated_at"]
        create_only_fields = ["organisation"]
        # Shown only to readers who may see the subject's identifiers.
        withheld_fields = Subject.IDENTIFYING_FIELDS

    def get_identifiers_visible(self, subject) -> bool:
        return policy.can_view_identifiers(self.context["request"].user, subject)

    def to_representation(self, subject):
        data = super().to_representation(subject)
        if data["identifiers_visible"]:
            # The view writes one audit event per subject whose identifiers it showed.
            self.context.setdefault("identified_subjects", []).append(subject)
        else:
            for name in Subject.IDENTIFYING_FIELDS:
                data.pop(name, None)
        return data


class SubjectRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subject
        fields = ["id", "reference"]


class OffenceSerializer(OwnerAwareSerializer):
    """An offence the person is sought for. Outside the owning organisation only its category
    travels: a description may name people and places."""

    class Meta:
        model = Offence
        fields = ["description", "category", "max_penalty"]
        owner_only_fields = ["description", "max_penalty"]


class NationalityConsultationSerializer(serializers.Serializer):
    """Whether the states of the person's EU nationalities must be informed (Petruhhin),
    and which were."""

    required = serializers.BooleanField()
    states = serializers.ListField(child=serializers.CharField())
    recorded = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())


# The statuses a case may be opened in (named in the schema by ENUM_NAME_OVERRIDES).
OPENING_STATUSES = [(s.value, s.label) for s in (Case.Status.REQUEST_RECEIVED,
                                                 Case.Status.PROVISIONAL_ARREST)]


class CaseSerializer(OwnerAwareSerializer):
    """An extradition case. Outside the owning organisation the free-text note, the Interpol
    reference and the named recipients are left out."""

    organisation = organisation_field(write_only=True, required=False)
    owner = OrganisationSerializer(read_only=True)
    subject = OwnSubjectField()
    subject_reference = serializers.CharField(source="subject.reference", read_only=True)
    requesting_state = country_field()
    requested_state = country_field()
    legal_instrument = serializers.PrimaryKeyRelatedField(
        queryset=LegalInstrument.objects.all(), required=False, allow_null=True
    )
    sharing_group = VisibleRelatedField(model=SharingGroup, required=False, allow_null=True)
    named_recipients = ColleagueField(many=True, required=False)
    caseworker = ColleagueField(
        required=False, allow_null=True,
        help_text="The member who works the case; its follow-ups are assigned to them. "
                  "Whoever creates the case unless another is named.",
    )
    offences = OffenceSerializer(many=True, required=False)
    nationality_consultation = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    consent_override_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=CONSENT_REASON_MAX,
        help_text="Why the case is shared further although its subject withheld consent to "
                  "share: required then (unless the owner never shares without consent, when "
                  "the change is refused), kept in the audit event. No names or other "
                  "identifiers.",
    )
    version = version_field()

    class Meta:
        model = Case
        fields = [
            "id", "reference", "organisation", "owner", "subject", "subject_reference",
            "requesting_state", "requested_state", "channel", "legal_instrument",
            "legal_basis_note", "offences", "interpol_notice", "interpol_reference",
            "request_date", "arrest_date", "decision_date", "surrender_date", "status",
            "status_changed_on", "closure_reason", "allowed_transitions",
            "nationality_consultation", "distribution", "sharing_group", "tlp",
            "named_recipients", "caseworker", "created_at", "updated_at",
            "consent_override_reason", "version",
        ]
        read_only_fields = [
            "id", "reference", "status_changed_on", "closure_reason", "created_at",
            "updated_at",
        ]
        create_only_fields = ["organisation", "status"]
        # Free text and names stay with the owner: recipients see the structured record.
        owner_only_fields = ["legal_basis_note", "interpol_reference", "named_recipients",
                             "caseworker"]

    def get_fields(self):
        fields = super().get_fields()
        if self.purpose() == "create":
            fields["status"] = serializers.ChoiceField(choices=OPENING_STATUSES, required=False)
        else:
            # Changed only through a transition.
            fields["status"] = serializers.ChoiceField(choices=Case.Status.choices, read_only=True)
        return fields

    @extend_schema_field(NationalityConsultationSerializer)
    def get_nationality_consultation(self, case) -> dict:
        return nationality_consultation(case)

    def get_allowed_transitions(self, case) -> list[str]:
        if not policy.has_right(
            self.context["request"].user, case.owner_id, policy.Resource.CASE,
            policy.Action.TRANSITION,
        ):
            return []
        return list(TRANSITIONS[case.status])

class ErasureSerializer(StrictSerializer):
    """Why a subject's identifiers are erased: they cannot be read again, by anyone."""

    reason = serializers.ChoiceField(choices=Subject.ErasureReason.choices)


class TransitionSerializer(StrictSerializer):
    """A change of a case's status, with the date it took effect."""

    # Any string: the service answers an unknown or illegal target with the allowed ones.
    to = serializers.CharField(max_length=40)
    date = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    closure_reason = serializers.ChoiceField(
        choices=Case.ClosureReason.choices, required=False, allow_blank=True
    )
    start_monitoring = serializers.BooleanField(
        required=False, default=False,
        help_text="With `to: surrendered` only: monitoring starts the same day, in the same "
                  "step (two recorded moves).",
    )
    version = serializers.IntegerField(min_value=1, required=False)


class CaseTransitionSerializer(OwnerAwareSerializer):
    """A past change of a case's status."""

    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CaseTransition
        fields = ["id", "from_status", "to_status", "date", "note", "actor", "recorded_at"]
        owner_only_fields = ["note", "actor"]


class ProceedingEventSerializer(OwnerAwareSerializer):
    """A hearing, decision, appeal or other step of the proceedings. Outside the owning
    organisation its description and outcome are left out."""

    case = uuid_ref(Case)
    consulted_state = country_field(required=False, allow_null=True)
    version = version_field()

    class Meta:
        model = ProceedingEvent
        fields = [
            "id", "case", "kind", "date", "authority", "consulted_state", "description",
            "outcome", "created_at", "updated_at", "version",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        create_only_fields = ["case"]
        owner_only_fields = ["description", "outcome"]


class AssuranceSerializer(OwnerAwareSerializer):
    """A diplomatic assurance given for the person: its terms as given, and how it may be
    monitored."""

    case = uuid_ref(Case)
    version = version_field()

    class Meta:
        model = Assurance
        fields = [
            "id", "case", "type", "death_penalty_scope", "verbatim_text", "form", "binding",
            "issuer", "issuer_level", "given_on", "disclosed_to_court", "monitoring_who",
            "monitoring_frequency_days", "monitoring_private", "monitoring_unannounced",
            "monitoring_terms", "created_at", "updated_at", "version",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        create_only_fields = ["case"]


class TimelineEntrySerializer(serializers.Serializer):
    """One dated event in a case's history."""

    date = serializers.DateField(allow_null=True)
    kind = serializers.CharField()
    id = serializers.CharField()
    summary = serializers.CharField()
    detail = serializers.DictField()


class AuditEventSerializer(serializers.ModelSerializer):
    """An entry of the audit log; each holds the hash of the one before."""

    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "seq", "at", "actor_username", "organisation", "action", "object_type",
            "object_id", "object_repr", "changed_fields", "detail", "request_id", "prev_hash",
            "hash",
        ]


class LeaveGroupSerializer(StrictSerializer):
    """Which of the caller's organisations leaves the sharing group."""

    organisation = organisation_field(required=False)
