"""Notices of a finding newly shared with an organisation, and of a new comment on one's own
organisation's finding: to each member who may see the finding (through the policy), once,
with the e-mail switch of its kind, references only, linking to the finding.

ngo_fr owns a monitored GREEN case shared network-wide whose finding is first kept with ngo_fr;
ngo_fr shares `fr_de_group` with ministry_de, and ministry_de owns `de_it_group` with ngo_it.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core import mail
from django.urls import reverse

from cases.models import Assurance
from cases.models.sharing import TLP, Distribution
from monitoring import delivery, services
from monitoring.models import Finding, Notification, NotificationPreference

from ..conftest import api_client
from ..factories import (
    AssuranceFactory,
    MembershipFactory,
    SharingGroupFactory,
    SubjectFactory,
    UserFactory,
)
from ..monitoring_helpers import DAY, HOUR, NOW, TODAY, first_visit, freeze, monitored_case, submit
from ..web.test_web_monitoring import signed_in

Kind = Notification.Kind
FULL_NAME = "Planted Fullname-Of-The-Person"
ROLES = ("caseworker", "liaison", "auditor", "admin")


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


@pytest.fixture
def net(world):
    w = world
    n = SimpleNamespace(world=w)
    n.case = monitored_case(
        w, surrender=TODAY - 5 * DAY, distribution=Distribution.NETWORK, tlp=TLP.GREEN,
        subject=SubjectFactory(owner=w.ngo_fr, full_name=FULL_NAME, consent_to_share=True),
    )
    n.torture = AssuranceFactory(case=n.case, type=Assurance.Type.NO_TORTURE)
    submit(w, first_visit(n.case), checked_at=NOW - 2 * HOUR,
           findings=[{"assurance": n.torture, "outcome": "complied", "severity": "low"}])
    n.finding = Finding.objects.get(case=n.case)
    share(n, Distribution.ORGANISATION)
    w.de_it_group = SharingGroupFactory(name="DE-IT", owner=w.ministry_de, members=[w.ngo_it])
    return n


def share(n, distribution, group=None, actor=None):
    n.finding.refresh_from_db()
    services.finding_share(actor=actor or n.world.fr_caseworker, finding=n.finding,
                           version=n.finding.version, distribution=distribution,
                           sharing_group=group)


def members(world, org: str) -> set[str]:
    return {f"{org}_{role}" for role in ROLES}


def notified(kind=Kind.FINDING_SHARED) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username",
                                                                   flat=True))


def test_a_share_notifies_each_member_of_each_organisation_that_newly_sees_it(net):
    w = net.world
    assert notified() == set()
    share(net, Distribution.SHARING_GROUP, w.fr_de_group)
    assert notified() == members(w, "de")
    # Wider: only ngo_it is new; ministry_de hears nothing twice.
    share(net, Distribution.NETWORK)
    assert notified() == members(w, "de") | members(w, "it")
    assert Notification.objects.filter(kind=Kind.FINDING_SHARED).count() == 8
    # Narrowed and shared again: each member was told of this finding once.
    share(net, Distribution.ORGANISATION)
    share(net, Distribution.NETWORK)
    assert Notification.objects.filter(kind=Kind.FINDING_SHARED).count() == 8


def test_a_notice_says_the_case_reference_links_the_finding_and_names_no_one(net):
    w = net.world
    share(net, Distribution.SHARING_GROUP, w.fr_de_group)
    notice = Notification.objects.get(kind=Kind.FINDING_SHARED, recipient=w.de_caseworker)
    assert notice.case_id == net.case.pk and notice.export == net.finding.pk
    assert net.case.reference in notice.subject and net.case.reference in notice.body
    for text in (notice.subject, notice.body):
        assert FULL_NAME not in text and net.case.subject.reference not in text
        assert w.ngo_fr.name not in text and w.fr_caseworker.username not in text
    page = signed_in(w.de_caseworker).get(reverse("monitoring:notification_list"))
    assert f'href="{reverse("monitoring:finding_detail", args=[net.finding.pk])}"' in (
        page.content.decode())
    body = api_client(w.de_caseworker).get("/api/v1/notifications/").json()["results"]
    (row,) = [r for r in body if r["kind"] == Kind.FINDING_SHARED]
    assert row["finding"] == str(net.finding.pk) and row["export"] is None


def test_passing_a_finding_on_notifies_the_organisations_it_newly_reaches(net):
    w = net.world
    share(net, Distribution.SHARING_GROUP, w.fr_de_group)
    Notification.objects.all().delete()
    services.finding_reshare(actor=w.de_liaison, finding=net.finding,
                             distribution=Distribution.SHARING_GROUP,
                             sharing_group=w.de_it_group)
    # ngo_it sees the case network-wide, and the finding now through ministry_de.
    assert notified() == members(w, "it")


def test_no_notice_reaches_who_may_not_see_the_finding(net):
    w = net.world
    left = UserFactory(username="de_gone", is_active=False)
    MembershipFactory(user=left, organisation=w.ministry_de)
    # A member of two organisations sees the finding through either: told once.
    both = UserFactory(username="de_and_it")
    MembershipFactory(user=both, organisation=w.ministry_de)
    MembershipFactory(user=both, organisation=w.ngo_it)
    share(net, Distribution.SHARING_GROUP, w.fr_de_group)
    assert notified() == members(w, "de") | {"de_and_it"}
    # A case kept from ngo_it: its finding passed on to ngo_it reaches no one there.
    kept = monitored_case(
        w, surrender=TODAY - 5 * DAY, distribution=Distribution.SHARING_GROUP,
        sharing_group=w.fr_de_group, tlp=TLP.GREEN,
        subject=SubjectFactory(owner=w.ngo_fr, consent_to_share=True),
    )
    assurance = AssuranceFactory(case=kept, type=Assurance.Type.NO_TORTURE)
    submit(w, first_visit(kept), checked_at=NOW - 2 * HOUR,
           findings=[{"assurance": assurance, "outcome": "breach", "severity": "high"}])
    Notification.objects.all().delete()
    services.finding_reshare(actor=w.de_liaison, finding=Finding.objects.get(case=kept),
                             distribution=Distribution.SHARING_GROUP,
                             sharing_group=w.de_it_group)
    assert notified() == set()


def test_the_email_switch_of_the_kind_holds(net):
    w = net.world
    services.notification_preferences_set(
        actor=w.de_caseworker, preferences=[{"kind": Kind.FINDING_SHARED, "email": False}])
    services.notification_preferences_set(
        actor=w.fr_liaison, preferences=[{"kind": Kind.FINDING_COMMENT, "email": False}])
    share(net, Distribution.SHARING_GROUP, w.fr_de_group)
    services.finding_comment_create(actor=w.de_caseworker, finding=net.finding, text="Seen")
    by_user = dict(Notification.objects.values_list("recipient__username", "send_email"))
    assert by_user["de_caseworker"] is False and by_user["de_liaison"] is True
    assert by_user["fr_liaison"] is False and by_user["fr_admin"] is True
    assert NotificationPreference.objects.filter(kind=Kind.FINDING_SHARED).count() == 1


def test_a_comment_notifies_the_owners_members_but_not_its_author(net):
    w = net.world
    share(net, Distribution.SHARING_GROUP, w.fr_de_group)
    comment = services.finding_comment_create(actor=w.de_caseworker, finding=net.finding,
                                              text="Planted comment text")
    assert notified(Kind.FINDING_COMMENT) == members(w, "fr")
    services.finding_comment_create(actor=w.fr_caseworker, finding=net.finding, text="Reply")
    assert notified(Kind.FINDING_COMMENT) == members(w, "fr")
    own = Notification.objects.filter(kind=Kind.FINDING_COMMENT, recipient=w.fr_liaison)
    assert own.count() == 2
    assert not own.filter(recipient=w.fr_caseworker).exists()
    notice = own.get(dedup_key=f"finding_comment:{comment.pk}:{w.fr_liaison.pk}")
    assert notice.export == net.finding.pk and "Planted comment" not in notice.body


def test_a_notice_is_withheld_from_who_no_longer_sees_the_finding(net, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    w = net.world
    share(net, Distribution.SHARING_GROUP, w.fr_de_group)
    de = Notification.objects.get(kind=Kind.FINDING_SHARED, recipient=w.de_caseworker)
    de_admin = Notification.objects.get(kind=Kind.FINDING_SHARED, recipient=w.de_admin)
    assert delivery.deliver(de.pk) == "sent"
    assert mail.outbox[-1].to == [w.de_caseworker.email]
    assert net.case.reference in mail.outbox[-1].subject
    # The case is still shared with ministry_de; the finding no longer is.
    share(net, Distribution.ORGANISATION)
    assert delivery.deliver(de_admin.pk) == "withheld"
