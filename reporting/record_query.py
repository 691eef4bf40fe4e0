"""What one may ask of the compliance record: its filters and groupings.

The API endpoint, the web page and the exports validate a query with the one `RecordQuery`,
so all three accept and refuse the same things, with the same messages.
"""

from __future__ import annotations

from rest_framework import serializers

from cases.api.base import StrictSerializer
from cases.models import Assurance, Country

from .record import GROUPINGS


class RecordQuery(StrictSerializer):
    """Filters and groupings of the compliance record."""

    group_by = serializers.MultipleChoiceField(choices=list(GROUPINGS), required=False)
    requesting_state = serializers.PrimaryKeyRelatedField(
        queryset=Country.objects.all(), required=False
    )
    legal_instrument = serializers.IntegerField(required=False, min_value=1, max_value=2**31)
    assurance_type = serializers.ChoiceField(choices=Assurance.Type.choices, required=False)
    observed_after = serializers.DateField(required=False)
    observed_before = serializers.DateField(required=False)


def grouping(query: dict) -> tuple[str, ...]:
    """The validated query's groupings in the record's order; by requesting state if none."""
    return tuple(sorted(query.get("group_by") or {"requesting_state"}, key=list(GROUPINGS).index))
