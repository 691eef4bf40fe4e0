"""What the monitoring tests share: a fixed "now", a case taken to monitoring the way a
caseworker does it, a mail server that refuses everything, and readable sets of notifications.

Each test freezes the clock at NOW (see `freeze`), so a date like "day 0" means the same in
every run; the sweep is always called with an explicit moment.
"""

from __future__ import annotations

import datetime

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail.backends.base import BaseEmailBackend

from cases import services as case_services
from cases.models import AuditEvent, Case
from monitoring import services
from monitoring.models import (
    CheckReport,
    Evidence,
    Finding,
    FollowUp,
    MonitoringPlan,
    Notification,
)

from . import evidence_samples
from .factories import CaseFactory

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
SECOND = datetime.timedelta(seconds=1)

# The frozen present of every monitoring test.
NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
TODAY = NOW.date()

S = Case.Status


def freeze(time_machine, moment: datetime.datetime = NOW):
    """Stop the clock at `moment`; `time_machine.move_to(...)` moves it on later."""
    time_machine.move_to(moment, tick=False)
    return time_machine


def start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=UTC)


def monitored_case(
    world,
    *,
    surrender: datetime.date = TODAY,
    monitoring_from: datetime.date | None = None,
    actor=None,
    named_recipients=(),
    **fields,
) -> Case:
    """A case of ngo_fr moved by the case services from `request_received` through the judicial
    phase and the executive decision to `surrendered` on `surrender` (day 0), then to
    `monitoring_active`: the path on which monitoring starts for real."""
    actor = actor or world.fr_caseworker
    fields.setdefault("owner", world.ngo_fr)
    case = CaseFactory(**fields)
    if named_recipients:
        case.named_recipients.add(*named_recipients)
    steps = [
        (S.JUDICIAL_PHASE, surrender - 20 * DAY),
        (S.EXECUTIVE_DECISION, surrender - 10 * DAY),
        (S.SURRENDERED, surrender),
        (S.MONITORING_ACTIVE, monitoring_from or surrender),
    ]
    for to, on in steps:
        case_services.case_transition(actor=actor, case=case, to=to, on=on)
    case.refresh_from_db()
    return case


def close_monitoring(case: Case, *, actor, on: datetime.date = TODAY) -> None:
    case.refresh_from_db()
    case_services.case_transition(
        actor=actor, case=case, to=S.MONITORING_CLOSED, on=on, closure_reason="released"
    )


def first_visit(case: Case) -> FollowUp:
    return FollowUp.objects.get(case=case, kind=FollowUp.Kind.FIRST_VISIT)


def open_regular_checks(case: Case) -> list[FollowUp]:
    return list(
        FollowUp.objects.filter(case=case, kind=FollowUp.Kind.CADENCE, status__in=FollowUp.OPEN)
    )


def ad_hoc(world, case: Case, *, opens, due, assignee=None) -> FollowUp:
    """An ad hoc follow-up, created (through the service) a day before its window opens:
    a new follow-up is always due in the future when it is made."""
    with time_machine.travel(min(opens, due) - datetime.timedelta(days=1), tick=False):
        return services.follow_up_create(
            actor=world.fr_caseworker, case=case, window_opens_at=opens, due_at=due,
            assignee=assignee,
        )


def submit(world, follow_up: FollowUp, *, checked_at, access="granted", findings=(), **fields):
    """A check report through the service, as a caseworker of the owner files it."""
    if access == CheckReport.Access.REFUSED:
        fields.setdefault("refusal_reason", "None given")
    return services.report_submit(
        actor=world.fr_caseworker,
        follow_up=FollowUp.objects.get(pk=follow_up.pk),
        checked_at=checked_at,
        access=access,
        findings=list(findings),
        **fields,
    )


def alerts(**filters) -> set[tuple[str, object, str]]:
    """The notifications written, as (kind, follow-up id or None, recipient username)."""
    return set(
        Notification.objects.filter(**filters).values_list(
            "kind", "follow_up_id", "recipient__username"
        )
    )


def alert_rows(**filters) -> int:
    return Notification.objects.filter(**filters).count()


def recipients(**filters) -> set[str]:
    return set(Notification.objects.filter(**filters).values_list(
        "recipient__username", flat=True))


# What a failed or refused write must leave exactly as it was.
STORED = (MonitoringPlan, FollowUp, CheckReport, Finding, Evidence, Notification, AuditEvent)


def snapshot(models=STORED) -> dict:
    """Every stored row of `models`, as plain values: equal before and after means nothing was
    written. A refused request for a record leaves its own trace (access_denied), which is not
    a write of data."""
    def rows(model):
        if model is AuditEvent:
            return model.objects.exclude(action=AuditEvent.Action.ACCESS_DENIED)
        return model.objects.all()
    return {model.__name__: list(rows(model).order_by("pk").values()) for model in models}


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server unreachable")


FAILING_EMAIL_BACKEND = f"{__name__}.FailingEmailBackend"


# Files by their content: a PDF header, a 1×1 PNG, a ZIP archive, an ELF executable.
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = evidence_samples.image("PNG", size=(1, 1))
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"payload.txt"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 40


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)
