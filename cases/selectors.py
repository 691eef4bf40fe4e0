"""Reads that are more than a filter."""

from __future__ import annotations

import datetime

from django.db.models import Prefetch

from .models import Case, ProceedingEvent, SubjectNationality


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
    states: list[str] = []
    if requested.in_eu_or_eea:
        states = sorted(
            {
                n.country_id
                for n in case.subject.nationalities.all()
                if n.lost_on is None and n.country.in_eu_or_eea and n.country_id != requested.code
            }
        )
    consultations = getattr(case, "consultations", None)
    if consultations is None:
        consultations = case.proceedings.filter(kind=ProceedingEvent.Kind.NATIONALITY_CONSULTATION)
    recorded = {p.consulted_state_id for p in consultations}
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
