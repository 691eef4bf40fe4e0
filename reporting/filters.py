from django.utils.translation import gettext_lazy as _

from cases.filters import ChoicesFilter, StrictBooleanFilter
from monitoring.filters import MineFilter

from .models import Export


class ExportFilter(MineFilter):
    mine_field = "requester"
    kind = ChoicesFilter(choices=Export.Kind.choices, label=_("Kind"))
    status = ChoicesFilter(choices=Export.Status.choices, label=_("Status"))
    mine = StrictBooleanFilter(method="only_mine", label=_("Requested by me"))

    class Meta:
        model = Export
        fields = []
