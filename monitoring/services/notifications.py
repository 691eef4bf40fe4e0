"""A user's own notifications: which come by e-mail, and which were read; and the notices of
a finding newly shared with an organisation, or newly commented, to those who may see it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import audit, policy
from cases.models import Membership, Organisation
from cases.models.sharing import Distribution
from cases.services import Actor

from ..models import Finding, FindingComment, Notification, NotificationPreference
from .common import AuditAction

Kind = Notification.Kind
# Notices about a finding: they keep its id in `export`, the column of records other than
# cases and follow-ups, and link to it.
FINDING_KINDS = (Kind.FINDING_SHARED, Kind.FINDING_COMMENT)
# Like the sweep's alerts: stored in English and written in each reader's language when shown
# or sent; the case's reference only, never a name (e-mails leave the system).
_TEXT = {
    Kind.FINDING_SHARED: gettext_noop(
        "A finding on case %(ref)s is now shared with your organisation."),
    Kind.FINDING_COMMENT: gettext_noop(
        "A finding of your organisation on case %(ref)s has a new comment."),
}


class Preference(TypedDict):
    kind: str
    email: bool


def notification_preferences_set(*, actor: Actor, preferences: Iterable[Preference]) -> None:
    """The caller's own choice of which alerts also come by e-mail."""
    with transaction.atomic():
        for item in preferences:
            NotificationPreference.objects.update_or_create(
                user=actor, kind=item["kind"], defaults={"email": item["email"]}
            )
        audit.record(actor, AuditAction.UPDATE, None,
                     detail={"notification_preferences": [
                         {"kind": i["kind"], "email": i["email"]} for i in preferences]})


def notification_mark_read(*, actor: Actor, notification: Notification) -> None:
    """The recipient marks one of its notifications read (its own state: no audit event, as a
    mail client's read flag)."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied(_("This notification is someone else's."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at)


# --- notices about findings ------------------------------------------------------------------


def with_email_preferences(rows: list[Notification]) -> list[Notification]:
    """E-mail unless the recipient turned it off for this kind (in-app always)."""
    prefs = {
        (user_id, kind): email
        for user_id, kind, email in NotificationPreference.objects.filter(
            user_id__in={row.recipient_id for row in rows}
        ).values_list("user_id", "kind", "email")
    }
    for row in rows:
        row.send_email = prefs.get((row.recipient_id, row.kind), True)
    return rows


def reached_organisations(distribution: str, sharing_group_id: int | None) -> QuerySet:
    """The organisations a distribution may reach (ids; what each member sees is the
    policy's to say)."""
    if distribution == Distribution.NETWORK:
        return Organisation.objects.values("pk")
    if distribution == Distribution.SHARING_GROUP:
        return Organisation.objects.filter(
            sharing_group_memberships__group_id=sharing_group_id).values("pk")
    return Organisation.objects.none().values("pk")


class Audience:
    """Members of some organisations, checked against the policy for one finding.

    What a member may see of a finding depends on the organisations it belongs to and on
    whether the case names it (TLP:RED), so one member per such profile is asked: a handful
    of queries however many members.
    """

    def __init__(self, finding: Finding, organisations: QuerySet, *,
                 besides: Iterable[int] = ()):
        members = Membership.objects.filter(
            user__memberships__organisation_id__in=organisations, user__is_active=True,
            user__is_staff=False, user__is_superuser=False,
        ).exclude(user_id__in=besides).values_list("user_id", "organisation_id")
        organisations_of: dict[int, set[int]] = defaultdict(set)
        for user_id, organisation_id in members:
            organisations_of[user_id].add(organisation_id)
        named = set(finding.case.named_recipients.values_list("pk", flat=True))
        self.finding = finding
        self.profiles: dict[tuple, list[int]] = defaultdict(list)
        for user_id, orgs in organisations_of.items():
            self.profiles[(frozenset(orgs), user_id in named)].append(user_id)
        self._people = get_user_model().objects.in_bulk(
            [min(users) for users in self.profiles.values()])

    def seeing(self) -> set[int]:
        """The members who may see the finding now."""
        seen: set[int] = set()
        for users in self.profiles.values():
            person = self._people[min(users)]
            if policy.visible(person, Finding).filter(pk=self.finding.pk).exists():
                seen.update(users)
        return seen


def _notices(kind: str, finding: Finding, key: str, recipients: Iterable[int]) -> int:
    case = finding.case
    # Written in the platform's language, as the sweep writes its alerts, whoever acted.
    with translation.override(settings.LANGUAGE_CODE):
        subject = f"{Notification.EMAIL_PREFIX}{Kind(kind).label}: {case.reference}"
    rows = [Notification(
        recipient_id=user_id, kind=kind, case=case, export=finding.pk,
        dedup_key=f"{key}:{user_id}", subject=subject,
        body=_TEXT[kind] % {"ref": case.reference},
        params=Notification.params_of(body=_TEXT[kind], args={"ref": case.reference}),
    ) for user_id in sorted(recipients)]
    return len(Notification.objects.bulk_create(with_email_preferences(rows),
                                                ignore_conflicts=True))


def share_audience(finding: Finding, distribution: str,
                   sharing_group_id: int | None) -> tuple[Audience, set[int]]:
    """Before a share: the members it may reach outside the owner, and those of them who
    already see the finding."""
    owners = Membership.objects.filter(organisation_id=finding.case.owner_id)
    audience = Audience(finding, reached_organisations(distribution, sharing_group_id),
                        besides=owners.values_list("user_id", flat=True))
    return audience, audience.seeing()


def notify_newly_shared(finding: Finding, audience: Audience, seen_before: set[int]) -> int:
    """After a share: a notice to each member who sees the finding now and did not before,
    once per finding and member."""
    newly = audience.seeing() - seen_before
    return _notices(Kind.FINDING_SHARED, finding, f"finding_shared:{finding.pk}", newly)


def notify_comment(comment: FindingComment) -> int:
    """A notice to the members of the finding's owner who may see it, the author aside."""
    finding = comment.finding
    owners = Organisation.objects.filter(pk=finding.case.owner_id).values("pk")
    audience = Audience(finding, owners, besides=[comment.author_id])
    return _notices(Kind.FINDING_COMMENT, finding, f"finding_comment:{comment.pk}",
                    audience.seeing())
