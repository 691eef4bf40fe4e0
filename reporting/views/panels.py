"""What reporting adds to other apps' pages: on the case page of a case awaiting a decision,
the risk brief (the requesting state's record and earlier surrenders to it); on the dashboard
of an auditor, the record by requesting state.

Importing this module registers them (see ReportingConfig.ready).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from cases import policy
from cases.models import Membership
from cases.views.base import CASE_PANELS, CasePanel, register_case_panel
from monitoring.models import Finding
from monitoring.selectors import DECISION_STATUSES
from monitoring.views.dashboard import DASHBOARD_CARDS, DashboardCard, register_dashboard_card

from ..brief import earlier_surrenders, state_record

REASONS = {
    "monitoring_open": lambda: _("monitoring still open"),
    "unverified": lambda: _("no finding: unverified"),
    Finding.Outcome.BREACH: lambda: _("open breach"),
    Finding.Outcome.ACCESS_DENIED: lambda: _("access denied"),
}


def risk_brief_context(request, case) -> dict:
    if case.status not in DECISION_STATUSES:
        return {"risk_brief": None}
    user = request.user
    [record] = state_record(user, case, [("requesting_state",)])
    earlier = [
        {**item, "reason_labels": [REASONS[r]() if r in REASONS else r for r in item["reasons"]]}
        for item in earlier_surrenders(user, case)
    ]
    return {"risk_brief": {"state": case.requesting_state, "record": record, "earlier": earlier}}


def record_card_context(request) -> dict | None:
    """The record by requesting state, for auditors only; the card fetches it once shown."""
    if Membership.Role.AUDITOR not in policy.roles(request.user).values():
        return None
    return {}


RISK_BRIEF = CasePanel("reporting/risk_brief.html", risk_brief_context, order=20)
RECORD_CARD = DashboardCard("reporting/dashboard_record.html", record_card_context)


def register() -> None:
    """Put the brief on the case page and the record on the dashboard, once however often this
    runs."""
    if RISK_BRIEF not in CASE_PANELS:
        register_case_panel(RISK_BRIEF)
    if RECORD_CARD not in DASHBOARD_CARDS:
        register_dashboard_card(RECORD_CARD)


register()
