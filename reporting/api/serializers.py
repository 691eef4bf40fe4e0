from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.base import StrictBooleanField, StrictSerializer
from cases.models import Organisation

from ..models import Export
from ..record import SMALL_CELL


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": SMALL_CELL},
                               {"type": "string", "enum": [f"<{SMALL_CELL}"]}]})
class CaseCountField(serializers.Field):
    """A number of cases, or "<3" for a cell too small to show."""


class RecordCellSerializer(serializers.Serializer):
    """One cell of the compliance record: a grouping's values and what was found in it, each
    count moved by at most 2 by the cell-key method. A cell of fewer than three cases, true
    or published, shows only `cases: "<3"`."""

    requesting_state = serializers.CharField(required=False)
    legal_instrument = serializers.IntegerField(required=False, allow_null=True)
    assurance_type = serializers.CharField(required=False, allow_null=True)
    year = serializers.IntegerField(required=False)
    suppressed = serializers.BooleanField()
    cases = CaseCountField(help_text=_('A number, or "<3" for a small cell.'))
    checks = serializers.IntegerField(required=False)
    findings = serializers.IntegerField(required=False)
    outcomes = serializers.DictField(child=serializers.IntegerField(), required=False)
    access_refused_share = serializers.FloatField(required=False, allow_null=True)
    unverifiable_share = serializers.FloatField(required=False, allow_null=True)
    days_to_first_access_median = serializers.FloatField(required=False, allow_null=True)
    days_to_first_access_p90 = serializers.FloatField(required=False, allow_null=True)
    cases_without_access = serializers.IntegerField(required=False)
    lapses = serializers.IntegerField(required=False)


class EarlierSurrenderSerializer(serializers.Serializer):
    """An earlier surrender to the same state whose monitoring is open, unverified, or
    shows a breach or a refusal of access."""

    reference = serializers.CharField(allow_null=True)
    case = serializers.UUIDField(allow_null=True)
    surrendered_in = serializers.IntegerField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
    counted_in_aggregates_only = serializers.BooleanField()


class RiskBriefSerializer(serializers.Serializer):
    """For a case awaiting a decision: the requesting state's record and earlier surrenders
    to it."""

    case = serializers.UUIDField()
    requesting_state = serializers.CharField()
    record = RecordCellSerializer(many=True)
    record_by_assurance_type = RecordCellSerializer(many=True)
    earlier_surrenders = EarlierSurrenderSerializer(many=True)


class ExportRequestSerializer(StrictSerializer):
    """What to export, in which format, filtered as the list is."""

    kind = serializers.ChoiceField(choices=Export.Kind.choices)
    format = serializers.ChoiceField(choices=Export.Format.choices)
    filters = serializers.DictField(
        required=False, default=dict,
        help_text=_("The list's query parameters, e.g. {\"status\": [\"monitoring_active\"], "
                    "\"requesting_state\": \"CN\"}; for the compliance record its filters "
                    "and group_by."),
    )
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False,
        help_text=_("The acting organisation, for a member of several."),
    )
    include_identifiers = StrictBooleanField(
        required=False, default=False,
        help_text=_("Cases only: adds subjects' names and birth dates, for the acting "
                    "organisation's own cases only, to a requester whose role may see them."),
    )


class ExportSerializer(serializers.ModelSerializer):
    """An export and its file's state."""

    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Export
        fields = [
            "id", "kind", "format", "filters", "include_identifiers", "requester",
            "organisation", "status", "progress", "row_count", "tlp", "size", "sha256",
            "error", "created_at", "started_at", "finished_at", "expires_at",
        ]
        read_only_fields = fields
