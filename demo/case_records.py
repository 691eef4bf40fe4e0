"""A demo case and how it is written: its subject, its case file, then everything that happened
since (proceedings, assurances, status changes, visits), oldest first, through the services and
as the owner's members, like any other data."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from cases import services
from cases.models import Case, Membership, Organisation, SharingGroup, Subject
from cases.models.sharing import Distribution

from .organisations import username
from .reference import country, instrument
from .visits import Check, report

Role = Membership.Role
Day = Callable[[int | None], datetime.date | None]


@dataclass
class Step:
    to: str
    days_ago: int
    note: str = ""
    by: str = Role.CASEWORKER
    closure_reason: str = ""


@dataclass
class DemoCase:
    owner: str
    subject: dict[str, Any]
    nationalities: list[tuple[str, int | None]]
    case: dict[str, Any]
    offences: list[tuple[str, str, str]]
    steps: list[Step] = field(default_factory=list)
    proceedings: list[dict[str, Any]] = field(default_factory=list)
    assurances: list[dict[str, Any]] = field(default_factory=list)
    named_recipients: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def case_load(
    demo: DemoCase, owner: Organisation, users: dict[str, Any], group: SharingGroup
) -> Case:
    today = timezone.localdate()

    def day(days_ago: int | None) -> datetime.date | None:
        return None if days_ago is None else today - datetime.timedelta(days=days_ago)

    def member(role: str):
        return users[username(owner.slug, role)]

    caseworker = member(Role.CASEWORKER)
    subject = _subject_create(demo, owner, caseworker, day)
    case = _case_create(
        demo, owner=owner, subject=subject, actor=caseworker, group=group, day=day,
        named_recipients=[member(role) for role in demo.named_recipients],
    )
    # Everything that happened, oldest first; on one day, proceedings before status changes.
    events: list[tuple[int, int, Callable[[], Any]]] = []
    for proceeding in demo.proceedings:
        fields = dict(proceeding)
        days_ago = fields.pop("days_ago")
        if "consulted_state" in fields:
            fields["consulted_state"] = country(fields["consulted_state"])
        events.append((days_ago, 0, _proceeding(caseworker, case, day(days_ago), fields)))
    for assurance in demo.assurances:
        fields = dict(assurance)
        days_ago = fields.pop("days_ago")
        events.append((days_ago, 1, _assurance_writer(caseworker, case, day(days_ago), fields)))
    for step in demo.steps:
        events.append((step.days_ago, 2, _transition(member(step.by), case, step, day)))
    for check in demo.checks:
        events.append((check.days_ago, 3, report(caseworker, case, check, day)))
    for _days_ago, _order, write in sorted(events, key=lambda e: (-e[0], e[1])):
        write()
    return case


def _subject_create(demo: DemoCase, owner: Organisation, caseworker, day: Day) -> Subject:
    subject_fields = dict(demo.subject)
    if "protection_state" in subject_fields:
        subject_fields["protection_state"] = country(subject_fields["protection_state"])
    return services.subject_create(
        actor=caseworker,
        organisation=owner,
        nationalities=[
            {"country": country(code), "acquired_on": day(acquired)}
            for code, acquired in demo.nationalities
        ],
        **subject_fields,
    )


def _case_create(
    demo: DemoCase, *, owner: Organisation, subject: Subject, actor, group: SharingGroup,
    day: Day, named_recipients: list,
) -> Case:
    spec = dict(demo.case)
    sharing_group = group if spec["distribution"] == Distribution.SHARING_GROUP else None
    return services.case_create(
        actor=actor,
        organisation=owner,
        subject=subject,
        status=spec.pop("status"),
        requesting_state=country("CN"),
        requested_state=country(spec.pop("requested")),
        legal_instrument=instrument(spec.pop("instrument")),
        request_date=day(spec.pop("request", None)),
        arrest_date=day(spec.pop("arrest", None)),
        decision_date=day(spec.pop("decision", None)),
        sharing_group=sharing_group,
        offences=[
            {"description": description, "category": category, "max_penalty": penalty}
            for description, category, penalty in demo.offences
        ],
        named_recipients=named_recipients,
        **spec,
    )


def _proceeding(actor, case: Case, on: datetime.date, fields: dict):
    return lambda: services.proceeding_create(actor=actor, case=case, date=on, **fields)


def _assurance_writer(actor, case: Case, on: datetime.date, fields: dict):
    return lambda: services.assurance_create(actor=actor, case=case, given_on=on, **fields)


def _transition(actor, case: Case, step: Step, day: Day):
    return lambda: services.case_transition(
        actor=actor,
        case=case,
        to=step.to,
        on=day(step.days_ago),
        note=step.note,
        closure_reason=step.closure_reason,
    )
