"""What monitoring adds to the case page: compliance per assurance, the follow-ups, the check
reports with their findings. Also the case timeline's entries of monitoring.

Each panel reads only what the user may see, in a fixed number of queries whatever the case
holds. Importing this module registers the panels (see MonitoringConfig.ready).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cases import policy
from cases.models import Assurance
from cases.views.base import (
    CASE_PANELS,
    TIMELINE_SOURCES,
    CasePanel,
    register_case_panel,
    register_timeline_source,
    visible,
)

from ..models import UNVERIFIED, CheckReport, Finding, FollowUp
from ..selectors import case_compliance
from .checks import REPORTABLE, may_monitor

Action = policy.Action
SHOWN = 25
TIMELINE_SHOWN = 100


def outcome_label(value: str) -> str:
    """A finding's outcome for people; no finding at all reads "unverified", never compliance."""
    if value == UNVERIFIED:
        return _("Unverified")
    return Finding.Outcome(value).label


# --- (a) compliance per assurance ------------------------------------------------------------


def compliance_context(request, case) -> dict:
    data = case_compliance(case, request.user)
    rows = [
        {
            **row,
            "type_label": Assurance.Type(row["type"]).label,
            "worst_label": outcome_label(row["worst_open_finding"]),
            "latest_label": outcome_label(row["latest_outcome"]),
        }
        for row in data["assurances"]
    ]
    return {"monitoring_compliance": {
        **data, "rows": rows, "compliance_label": outcome_label(data["compliance"]),
    }}


# --- (b) follow-ups --------------------------------------------------------------------------


def follow_ups_context(request, case) -> dict:
    rows = list(
        visible(request, FollowUp).filter(case=case).select_related("assignee")
        .order_by(FollowUp.open_first(), "due_at", "pk")[:SHOWN]
    )
    return {"monitoring_follow_ups": {
        "rows": rows,
        "is_owner": policy.is_owner(request.user, case),
        "may_report": may_monitor(request.user, case, Action.CREATE),
        "reportable": REPORTABLE,
    }}


# --- (c) reports and findings ----------------------------------------------------------------


def findings_context(request, case) -> dict:
    shown_findings = visible(request, Finding).select_related("assurance")
    reports = list(
        visible(request, CheckReport).filter(case=case).order_by("-checked_at")
        .prefetch_related(Prefetch("findings", queryset=shown_findings, to_attr="shown"))[:SHOWN]
    )
    # Lapses of monitoring belong to no report.
    lapses = list(shown_findings.filter(case=case, report__isnull=True)[:SHOWN])
    return {"monitoring_findings": {
        "reports": reports,
        "lapses": lapses,
        "may_share": may_monitor(request.user, case, Action.CHANGE),
    }}


# --- the timeline ----------------------------------------------------------------------------


def timeline_entries(request, case, owner_view=False) -> list[dict]:
    """Follow-ups, reports and findings of the case, as dated entries. Structure only: the
    free text of reports and findings stays on their own pages."""
    entries = []
    for follow_up in visible(request, FollowUp).filter(case=case).order_by("-due_at")[
            :TIMELINE_SHOWN]:
        entries.append({
            "date": follow_up.completed_at or follow_up.due_at,
            "kind": "follow_up",
            "kind_label": _("Follow-up"),
            "summary": _("%(kind)s, due %(due)s: %(status)s") % {
                "kind": follow_up.get_kind_display(),
                "due": date_format(timezone.localtime(follow_up.due_at), "SHORT_DATE_FORMAT"),
                "status": follow_up.get_status_display()},
        })
    for report in visible(request, CheckReport).filter(case=case).order_by("-checked_at")[
            :TIMELINE_SHOWN]:
        entries.append({
            "date": report.checked_at,
            "kind": "check_report",
            "kind_label": _("Check report"),
            "summary": _("Access %(access)s") % {
                "access": report.get_access_display().lower()},
        })
    for finding in visible(request, Finding).filter(case=case).select_related("assurance") \
            .order_by("-observed_at")[:TIMELINE_SHOWN]:
        entries.append({
            "date": finding.observed_at,
            "kind": "finding",
            "kind_label": _("Finding"),
            "summary": _("%(assurance)s: %(outcome)s") % {
                "assurance": finding.assurance.get_type_display() if finding.assurance
                else _("monitoring"),
                "outcome": finding.get_outcome_display()},
        })
    return entries


PANELS = (
    CasePanel("monitoring/panels/compliance.html", compliance_context, order=60),
    CasePanel("monitoring/panels/follow_ups.html", follow_ups_context, order=65),
    CasePanel("monitoring/panels/findings.html", findings_context, order=70),
)


def register() -> None:
    """Put the panels on the case page, once however often this runs."""
    for panel in PANELS:
        if panel not in CASE_PANELS:
            register_case_panel(panel)
    if timeline_entries not in TIMELINE_SOURCES:
        register_timeline_source(timeline_entries)


register()
