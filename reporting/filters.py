from cases.filters import ChoicesFilter, StrictBooleanFilter
from monitoring.filters import MineFilter

from .models import Export


class ExportFilter(MineFilter):
    mine_field = "requester"
    kind = ChoicesFilter(choices=Export.Kind.choices)
    status = ChoicesFilter(choices=Export.Status.choices)
    mine = StrictBooleanFilter(method="only_mine", label="Requested by me")

    class Meta:
        model = Export
        fields = []
