"""The first page after signing in: what needs the user's attention, by role."""

import datetime

from django.utils import timezone
from django.views.generic import TemplateView

from cases import invitations, policy
from cases.models import Case, Membership
from cases.views.base import MemberPage, visible

from ..models import FollowUp, Notification
from ..selectors import DECISION_STATUSES, inbox

SHOWN = 10


class Dashboard(MemberPage, TemplateView):
    template_name = "monitoring/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        roles = policy.roles(user)
        open_checks = (
            visible(self.request, FollowUp)
            .filter(status__in=(FollowUp.Status.DUE, FollowUp.Status.OVERDUE))
            .select_related("case", "assignee").order_by("due_at")
        )
        context["my_checks"] = list(open_checks.filter(assignee=user)[:SHOWN])
        context["open_checks"] = list(open_checks.exclude(assignee=user)[:SHOWN])
        context["silence"] = list(
            visible(self.request, Notification)
            .filter(kind=Notification.Kind.SILENCE, read_at__isnull=True)
            .select_related("case")[:SHOWN]
        )
        since = timezone.now() - datetime.timedelta(days=30)
        context["shared"] = inbox(user, since=since, organisation_ids=list(roles), limit=SHOWN)
        context["decisions"] = list(
            visible(self.request, Case)
            .filter(status__in=DECISION_STATUSES, owner_id__in=list(roles))
            .select_related("requesting_state").order_by("status_changed_on")[:SHOWN]
        )
        context["is_auditor"] = Membership.Role.AUDITOR in roles.values()
        context["invitations"] = list(invitations.pending_for(user))
        return context
