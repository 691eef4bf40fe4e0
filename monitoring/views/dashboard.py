"""The first page after signing in: what needs the user's attention, by role.

Other apps add cards of their own (`register_dashboard_card`), as they add panels to the case
page.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.generic import TemplateView

from cases import invitations, policy
from cases.models import Case
from cases.views.base import MemberPage, acting_organisation, visible

from ..models import FollowUp, Notification
from ..selectors import DECISION_STATUSES, inbox

SHOWN = 10


@dataclass(frozen=True)
class DashboardCard:
    """A card of the dashboard: a template and the context it needs."""

    template: str
    context: Callable  # (request) -> dict, or None where the card is not for this user


DASHBOARD_CARDS: list[DashboardCard] = []


def register_dashboard_card(card: DashboardCard) -> None:
    DASHBOARD_CARDS.append(card)


def cards(request) -> list[str]:
    """Every registered card this user is shown, rendered with its own context, in order."""
    out = []
    for card in DASHBOARD_CARDS:
        extra = card.context(request)
        if extra is not None:
            # Rendered by the template engine, which escaped every value.
            out.append(mark_safe(render_to_string(card.template, extra, request=request)))  # noqa: S308
    return out


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
        context["cards"] = cards(self.request)
        context["invitations"] = list(invitations.pending_for(user))
        org = acting_organisation(self.request)
        context["can_create_case"] = bool(org) and policy.has_right(
            user, org.pk, policy.Resource.CASE, policy.Action.CREATE)
        return context
