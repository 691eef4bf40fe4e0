"""Reads that are more than a filter."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch

from .models import Case, ProceedingEvent, SubjectNationality
from .models.cases import ENDINGS, STAGE, TRANSITIONS


def case_prefetches() -> list:
    """What `nationality_consultation` reads, fetched in a constant number of queries."""
    return [
        Prefetch(
            "subject__nationalities",
            queryset=SubjectNationality.objects.select_related("country"),
        ),
        Prefetch(
            "proceedings",
            queryset=ProceedingEvent.objects.filter(
                kind=ProceedingEvent.Kind.NATIONALITY_CONSULTATION
            ),
            to_attr="consultations",
        ),
    ]


def nationality_consultation(case: Case) -> dict:
    """The Petruhhin duty: states of EU/EEA nationality to inform, and which were informed.

    An EU/EEA state asked to extradite a national of another EU/EEA state to a third state must
    inform the state of nationality first (CJEU C-182/15 Petruhhin, C-897/19 I.N.).
    """
    requested = case.requested_state
    nationalities = []
    if requested.in_eu_or_eea:
        nationalities = [
            (n.country_id, n.country.in_eu_or_eea, n.lost_on)
            for n in case.subject.nationalities.all()
        ]
    consultations = getattr(case, "consultations", None)
    if consultations is None:
        consultations = case.proceedings.filter(kind=ProceedingEvent.Kind.NATIONALITY_CONSULTATION)
    return consultation_duty(
        requested.code, requested.in_eu_or_eea, nationalities,
        {p.consulted_state_id for p in consultations},
    )


def consultation_duty(requested: str, requested_in_eu_or_eea: bool, nationalities,
                      recorded: set) -> dict:
    """`nationality_consultation` from plain values: the requested state's code and whether it
    is in the EU or the EEA, the subject's nationalities as (country code, in the EU or the
    EEA, lost on), and the states whose consultation is recorded."""
    states: list[str] = []
    if requested_in_eu_or_eea:
        states = sorted(
            {
                country
                for country, in_eu_or_eea, lost_on in nationalities
                if lost_on is None and in_eu_or_eea and country != requested
            }
        )
    return {
        "required": bool(states),
        "states": states,
        "recorded": [s for s in states if s in recorded],
        "missing": [s for s in states if s not in recorded],
    }


def case_timeline(case: Case, *, owner_view: bool) -> list[dict]:
    """Status changes, proceedings and assurances of a case, oldest first.

    Free text (notes, descriptions) is in the entries only for the owner's members.
    """
    entries = []
    for t in case.transitions.select_related("actor"):
        detail = {"from": t.from_status, "to": t.to_status}
        if owner_view:
            detail.update(note=t.note, actor=t.actor.username)
        entries.append(
            {"date": t.date, "kind": "status", "id": str(t.pk),
             "summary": f"{t.from_status} → {t.to_status}", "detail": detail}
        )
    for p in case.proceedings.all():
        detail = {"kind": p.kind, "authority": p.authority, "consulted_state": p.consulted_state_id}
        if owner_view:
            detail.update(description=p.description, outcome=p.outcome)
        entries.append(
            {"date": p.date, "kind": "proceeding", "id": str(p.pk),
             "summary": p.get_kind_display(), "detail": detail}
        )
    for a in case.assurances.all():
        entries.append(
            {"date": a.given_on, "kind": "assurance", "id": str(a.pk),
             "summary": a.get_type_display(),
             "detail": {"type": a.type, "form": a.form, "issuer": a.issuer}}
        )
    # Undated entries (an assurance whose date is unknown) go last.
    entries.sort(key=lambda e: (e["date"] is None, e["date"] or datetime.date.min, e["kind"]))
    return entries


def offered_transitions(case: Case) -> dict[str, list[str]]:
    """The moves open to a case, in the order a person takes them: the next logical status
    first, then the other moves forward, then the endings (refused, withdrawn), and apart
    from them the steps back to an earlier stage."""
    here = STAGE[case.status]
    allowed = TRANSITIONS[case.status]
    forward = sorted((s for s in allowed if s not in ENDINGS and STAGE[s] >= here),
                     key=lambda s: STAGE[s])
    if Case.Status.NATIONALITY_CONSULTATION in forward and not nationality_consultation(
        case
    )["missing"]:
        # Nobody left to inform: the case goes on to the court.
        forward.remove(Case.Status.NATIONALITY_CONSULTATION)
        forward.append(Case.Status.NATIONALITY_CONSULTATION)
    # A provisional arrest and a request are the same stage: the next one on is the court.
    forward.sort(key=lambda s: STAGE[s] == here)
    return {
        "forward": forward,
        "endings": [s for s in allowed if s in ENDINGS],
        "back": [s for s in allowed if s not in ENDINGS and STAGE[s] < here],
    }
