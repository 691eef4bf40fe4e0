"""The demo's monitoring: the visits reported on the surrendered people's cases, a finding per
assurance each, and one call falling due as soon as the demo runs."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from cases.models import Assurance, Case, Membership, Organisation
from monitoring import services as monitoring
from monitoring.models import Finding, FollowUp

from .organisations import username

Outcome = Finding.Outcome

SEVERITY = {Outcome.COMPLIED: "low", Outcome.COMPLIED_WITH_CONCERNS: "medium",
            Outcome.PARTIAL: "medium", Outcome.UNVERIFIABLE: "medium",
            Outcome.ALLEGATION_PENDING: "high", Outcome.BREACH: "critical"}


@dataclass
class Check:
    """A visit reported `days_ago`: a finding per assurance of the case, "complied" unless
    `outcomes` says otherwise ({assurance type: outcome}). A refused visit checks nothing: its
    findings are "unverifiable", and the refusal itself denies the monitoring access."""

    days_ago: int
    outcomes: dict[str, str] = field(default_factory=dict)
    access: str = "granted"
    visitors: str = "Consular officials"
    narrative: str = ""


def checks(first: int, last: int, every: int, **special: Check) -> list[Check]:
    """Visits from `first` days ago to `last`, one each `every` days; `special` replaces the
    visit of the same day ("d120": a Check for 120 days ago)."""
    days = range(first, last - 1, -every)
    return [special.get(f"d{d}", Check(d)) for d in days]


def report(actor, case: Case, check: Check, day: Callable[[int], datetime.date]):
    """The visit reported on the case's open check (the first visit, then each next one the
    plan schedules), with a finding per assurance."""
    def write():
        follow_up = (
            FollowUp.objects.filter(case=case, status__in=FollowUp.OPEN,
                                    kind__in=(FollowUp.Kind.FIRST_VISIT, FollowUp.Kind.CADENCE))
            .order_by("due_at").first()
        )
        granted = check.access == "granted"
        usual = Outcome.COMPLIED if granted else Outcome.UNVERIFIABLE
        findings = [
            {"assurance": assurance, "outcome": outcome, "severity": SEVERITY[outcome],
             "evidence_summary": check.narrative if outcome != Outcome.COMPLIED else ""}
            for assurance in case.assurances.order_by("type")
            # The service adds the refusal's own finding on the monitoring-access promise.
            if granted or assurance.type != Assurance.Type.MONITORING_ACCESS
            for outcome in [check.outcomes.get(assurance.type, usual)]
        ]
        monitoring.report_submit(
            actor=actor, follow_up=follow_up, findings=findings, access=check.access,
            checked_at=datetime.datetime.combine(day(check.days_ago), datetime.time(11),
                                                 tzinfo=datetime.UTC),
            visitors=check.visitors, narrative=check.narrative,
            refusal_reason="None given" if check.access == "refused" else "",
        )
    return write


def call_due_now(owner: Organisation, users: dict[str, Any]) -> FollowUp:
    """A call to the family of the French NGO's monitored person, due from now on and assigned to
    its caseworker: the first sweep after `make run` alerts them, so a newcomer sees one come."""
    caseworker = users[username(owner.slug, Membership.Role.CASEWORKER)]
    case = (
        Case.objects.filter(owner=owner, status=Case.Status.MONITORING_ACTIVE)
        .order_by("created_at")[0]
    )
    now = timezone.now()
    return monitoring.follow_up_create(
        actor=caseworker, case=case, window_opens_at=now, due_at=now + datetime.timedelta(days=2),
        mode=FollowUp.Mode.CALL, assignee=caseworker,
        note="Call the family: the last visit found marked weight loss.",
    )
