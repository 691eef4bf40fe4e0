"""Retention of identifiers, run daily by beat: each organisation that set `retention_years`
has the identifiers of subjects whose cases all closed that long ago erased, after a notice
to its org admins 30 days before (in the app and by e-mail, once per subject and day)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from cases import services
from cases.models import Case, Membership, Organisation, Subject
from cases.services.erasure import retention_day, retention_ends

from .models import Notification

NOTICE_DAYS = 30
# Stored in English, and written in each reader's language when shown or sent.
NOTICE = gettext_noop("The identifiers of %(ref)s (case %(case)s) will be erased on %(day)s: "
                      "its cases closed %(years)s years ago or more. Its record stays.")
RETENTION = services.Operator("retention")
Kind = Notification.Kind


@dataclass
class RetentionReport:
    notices: int = 0
    erased: int = 0


def _admins(organisation: Organisation) -> list[int]:
    return list(Membership.objects.filter(
        organisation=organisation, role=Membership.Role.ORG_ADMIN, user__is_active=True,
    ).values_list("user_id", flat=True))


def _latest_case(subject: Subject) -> Case:
    return subject.cases.order_by("-status_changed_on", "-created_at").first()


def _notices(organisation: Organisation, subjects, admins: list[int], today) -> int:
    rows = []
    for subject in subjects:
        case = _latest_case(subject)
        day = max(retention_day(organisation, subject.last_closed),
                  today + datetime.timedelta(days=NOTICE_DAYS))
        # References only: the subject's pseudonymous one, and its latest case's.
        args = {"ref": subject.reference, "case": case.reference,
                "years": organisation.retention_years}
        with translation.override(settings.LANGUAGE_CODE):
            title = f"{Kind.RETENTION_NOTICE.label}: {subject.reference}"
        rows += [Notification(
            recipient_id=admin, kind=Kind.RETENTION_NOTICE, case=case,
            dedup_key=f"retention:{subject.pk}:{day.isoformat()}:{admin}",
            subject=f"{Notification.EMAIL_PREFIX}{title}",
            body=NOTICE % {**args, "day": day.isoformat()},
            params=Notification.params_of(body=NOTICE, args=args, dates={"day": day}),
        ) for admin in admins]
    return len(Notification.objects.bulk_create(rows, ignore_conflicts=True))


def sweep_retention(today: datetime.date | None = None) -> RetentionReport:
    """Notices for subjects whose retention ends within 30 days and who had none; erasure of
    those whose retention ended and whose notice is 30 days old or more (so setting a short
    retention never erases anything before the admins were told)."""
    today = today or timezone.localdate()
    report = RetentionReport()
    notice_cutoff = today - datetime.timedelta(days=NOTICE_DAYS)
    for organisation in Organisation.objects.filter(retention_years__isnull=False):
        admins = _admins(organisation)
        coming = list(retention_ends(organisation, today + datetime.timedelta(days=NOTICE_DAYS))
                      .filter(erasure_noticed_on__isnull=True))
        with transaction.atomic():
            report.notices += _notices(organisation, coming, admins, today)
            Subject.objects.filter(pk__in=[s.pk for s in coming]).update(
                erasure_noticed_on=today)
        due = retention_ends(organisation, today).filter(erasure_noticed_on__lte=notice_cutoff)
        for subject in due:
            services.subject_erase(actor=RETENTION, subject=subject,
                                   reason=Subject.ErasureReason.END_OF_RETENTION)
            report.erased += 1
    return report
