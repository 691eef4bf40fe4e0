import django_filters as filters
from django.utils.translation import gettext_lazy as _

from cases.filters import ChoicesFilter, StrictBooleanFilter, StrictFilterSet, VisibleChoiceFilter
from cases.models import Case

from .models import CheckReport, Evidence, Finding, FollowUp, Notification


class MineFilter(StrictFilterSet):
    """`mine=true`: rows whose `mine_field` is the caller; `mine=false`: the others."""

    mine_field = ""

    def only_mine(self, queryset, name, value):
        if value is None:
            return queryset
        mine = {self.mine_field: self.request.user}
        return queryset.filter(**mine) if value else queryset.exclude(**mine)


class ByCase(StrictFilterSet):
    case = VisibleChoiceFilter(Case)


class FollowUpFilter(MineFilter, ByCase):
    mine_field = "assignee"
    status = ChoicesFilter(choices=FollowUp.Status.choices, label=_("Status"))
    kind = ChoicesFilter(choices=FollowUp.Kind.choices, label=_("Kind"))
    due = filters.IsoDateTimeFromToRangeFilter(field_name="due_at")
    assignee = filters.CharFilter(field_name="assignee__username", max_length=150)
    mine = StrictBooleanFilter(method="only_mine", label=_("Assigned to me"))

    class Meta:
        model = FollowUp
        fields = []


class CheckReportFilter(ByCase):
    access = ChoicesFilter(choices=CheckReport.Access.choices, label=_("Access"))
    checked = filters.IsoDateTimeFromToRangeFilter(field_name="checked_at")

    class Meta:
        model = CheckReport
        fields = []


class FindingFilter(ByCase):
    outcome = ChoicesFilter(choices=Finding.Outcome.choices, label=_("Outcome"))
    severity = ChoicesFilter(choices=Finding.Severity.choices, label=_("Severity"))
    is_open = StrictBooleanFilter()
    assurance = filters.UUIDFilter(field_name="assurance_id")
    report = filters.UUIDFilter(field_name="report_id")

    class Meta:
        model = Finding
        fields = []


class EvidenceFilter(ByCase):
    report = filters.UUIDFilter(field_name="report_id")

    class Meta:
        model = Evidence
        fields = []


class NotificationFilter(StrictFilterSet):
    kind = ChoicesFilter(choices=Notification.Kind.choices, label=_("Kind"))
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("Unread"))

    class Meta:
        model = Notification
        fields = []
