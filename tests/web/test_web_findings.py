"""The web pages of findings shared across organisations: sharing under the label's ceiling,
narrowing, stale shares, passing a finding on and withdrawing it, comments, and the inbox of
what was newly shared. ngo_fr owns the finding, shared with ministry_de; ngo_it is the outsider."""

from __future__ import annotations

import pytest

from cases.models.sharing import TLP, Distribution
from monitoring import services
from monitoring.models import (
    Finding,
    FindingComment,
    FindingShare,
    Notification,
)

from ..factories import AssuranceFactory
from ..monitoring_helpers import (
    DAY,
    HOUR,
    NOW,
    TODAY,
    first_visit,
    freeze,
    monitored_case,
    submit,
)
from .test_web_monitoring import (
    FULL_NAME,
    shared_monitoring,
    signed_in,
    url_of,
)


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


@pytest.fixture
def net(world):
    return shared_monitoring(world)


# --- sharing ---------------------------------------------------------------------------------


def share_data(finding, **over) -> dict:
    finding.refresh_from_db()
    data = {"distribution": finding.distribution, "tlp": finding.tlp,
            "sharing_group": finding.sharing_group_id or "", "version": finding.version}
    data.update(over)
    return data


def test_sharing_beyond_the_labels_ceiling_is_an_error_next_to_the_field(net):
    w = net.world
    before = Finding.objects.filter(pk=net.finding.pk).values().get()
    response = signed_in(w.fr_caseworker).post(
        url_of("finding_share", net),
        share_data(net.finding, tlp="amber", distribution="network", sharing_group=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_distribution_error"' in page and "TLP:AMBER allows at most" in page
    assert 'value="network" selected' in page
    assert Finding.objects.filter(pk=net.finding.pk).values().get() == before


def test_the_owner_narrows_a_finding_and_the_partner_loses_it_at_once(net):
    w = net.world
    assert signed_in(w.de_caseworker).get(url_of("finding_detail", net)).status_code == 200
    response = signed_in(w.fr_caseworker).post(
        url_of("finding_share", net),
        share_data(net.finding, distribution="organisation", sharing_group=""))
    assert response.status_code == 302
    assert signed_in(w.de_caseworker).get(url_of("finding_detail", net)).status_code == 404
    assert signed_in(w.de_liaison).post(url_of("finding_reshare", net), {
        "distribution": "network"}).status_code == 404


def test_a_stale_share_is_a_conflict(net):
    w = net.world
    data = share_data(net.finding, summary_shareable="on")
    services.finding_share(actor=w.fr_admin, finding=net.finding, version=net.finding.version,
                           distribution=Distribution.ORGANISATION)
    response = signed_in(w.fr_caseworker).post(url_of("finding_share", net), data)
    assert response.status_code == 409
    net.finding.refresh_from_db()
    assert (net.finding.distribution, net.finding.summary_shareable) == ("organisation", False)


def test_re_share_of_an_amber_finding_is_refused_with_a_clear_message(net):
    w = net.world
    services.finding_share(actor=w.fr_caseworker, finding=net.finding, version=net.finding.version,
                           distribution=Distribution.SHARING_GROUP, sharing_group=w.fr_de_group,
                           tlp=TLP.AMBER)
    client = signed_in(w.de_liaison)
    assert url_of("finding_reshare", net) not in client.get(
        url_of("finding_detail", net)).content.decode()
    shares = FindingShare.objects.count()
    for response in (client.get(url_of("finding_reshare", net)),
                     client.post(url_of("finding_reshare", net), {"distribution": "network"})):
        assert response.status_code == 403
        assert "TLP:AMBER does not let recipients pass this finding" in response.content.decode()
    assert FindingShare.objects.count() == shares


def test_a_recipient_passes_a_green_finding_on_and_withdrawing_hides_it_at_once(world):
    w = world
    case = monitored_case(w, surrender=TODAY - 5 * DAY, distribution=Distribution.NETWORK,
                          tlp=TLP.GREEN)
    assurance = AssuranceFactory(case=case)
    submit(w, first_visit(case), checked_at=NOW - HOUR, findings=[
        {"assurance": assurance, "outcome": "breach", "severity": "high"}])
    finding = Finding.objects.get(case=case)
    services.finding_share(actor=w.fr_caseworker, finding=finding, version=finding.version,
                           distribution=Distribution.SHARING_GROUP, sharing_group=w.fr_de_group)
    url = f"/findings/{finding.pk}/"
    outsider = signed_in(w.it_caseworker)
    assert outsider.get(url).status_code == 404
    liaison = signed_in(w.de_liaison)
    response = liaison.post(f"{url}pass-on/",
                            {"distribution": "sharing_group", "sharing_group": ""})
    assert response.status_code == 400
    assert 'id="id_sharing_group_error"' in response.content.decode()
    assert liaison.post(f"{url}pass-on/", {"distribution": "network"}).status_code == 302
    page = outsider.get(url)
    assert page.status_code == 200 and case.subject.full_name not in page.content.decode()
    share = FindingShare.objects.get(finding=finding)
    assert f"/findings/passed-on/{share.pk}/withdraw/" in liaison.get(url).content.decode()
    assert liaison.post(f"/findings/passed-on/{share.pk}/withdraw/").status_code == 302
    assert outsider.get(url).status_code == 404


def test_recipients_comment_and_auditors_do_not(net):
    w = net.world
    client = signed_in(w.de_caseworker)
    url = url_of("finding_detail", net)
    assert client.post(url, {"text": ""}).status_code == 400
    assert client.post(url, {"text": "Seen from Berlin"}).status_code == 302
    assert "Seen from Berlin" in signed_in(w.fr_auditor).get(url).content.decode()
    auditor = signed_in(w.de_auditor)
    assert 'name="text"' not in auditor.get(url).content.decode()
    assert auditor.post(url, {"text": "No"}).status_code == 403
    assert FindingComment.objects.filter(finding=net.finding).count() == 1


# --- the inbox -------------------------------------------------------------------------------


def test_the_inbox_shows_what_was_newly_shared(net):
    client = signed_in(net.world.de_caseworker)
    page = client.get("/shared-with-us/").content.decode()
    assert url_of("finding_detail", net) in page and FULL_NAME not in page
    later = (TODAY + DAY).isoformat()
    assert url_of("finding_detail", net) not in client.get(
        f"/shared-with-us/?since={later}").content.decode()
    response = client.get("/shared-with-us/?since=2026-02-30")
    assert response.status_code == 400 and 'id="id_since_error"' in response.content.decode()
    assert client.get("/shared-with-us/?since=%00").status_code == 400
    # The owner's own records are not "shared with" it.
    own = signed_in(net.world.fr_caseworker).get("/shared-with-us/").content.decode()
    assert url_of("finding_detail", net) not in own


def test_the_inbox_and_the_dashboard_link_what_they_name_and_name_who_shared(net):
    w = net.world
    for path in ("/shared-with-us/", "/"):
        page = signed_in(w.de_caseworker).get(path).content.decode()
        assert f'<a href="{url_of("finding_detail", net)}">' in page, path
        assert f"<td>{w.ngo_fr.name}</td>" in page and f"<td>{w.ngo_fr.slug}</td>" not in page
        assert "<td>finding ·" not in page and "Finding" in page


def test_the_dashboard_links_each_check_and_case_it_lists(net, time_machine):
    from django.urls import reverse

    from monitoring.sweep import sweep

    net.check.refresh_from_db()
    time_machine.move_to(net.check.due_at + HOUR)
    sweep(net.check.due_at + HOUR)
    page = signed_in(net.world.fr_caseworker).get("/").content.decode()
    assert f'href="{reverse("monitoring:follow_up_detail", args=[net.check.pk])}"' in page
    assert f'href="{reverse("cases:case_detail", args=[net.check.case_id])}"' in page


def test_the_header_counts_unread_notifications_while_their_case_is_visible(net):
    from ..factories import CaseFactory

    w = net.world
    client = signed_in(w.fr_caseworker)
    unread = Notification.objects.filter(recipient=w.fr_caseworker, read_at__isnull=True)
    before = unread.count()  # every one of them about a case the user sees
    assert before >= 1 and f"{before} unread" in client.get("/cases/").content.decode()
    # An alert about a case the user does not see (or no longer sees) is not counted.
    Notification.objects.create(
        recipient=w.fr_caseworker, kind=Notification.Kind.DUE, case=CaseFactory(owner=w.ngo_it),
        dedup_key="test:due:unseen", subject="Follow-up due", body="Check due.")
    assert f"{before} unread" in client.get("/cases/").content.decode()
    client.post(url_of("notification_read", net))
    page = client.get("/cases/").content.decode()
    assert f"{before} unread" not in page
    assert (f"{before - 1} unread" in page) == (before > 1)


def test_the_notification_list_shows_titles_without_the_mail_prefix_and_links_the_case(net):
    from django.urls import reverse

    w = net.world
    Notification.objects.create(
        recipient=w.fr_caseworker, kind=Notification.Kind.SILENCE, case=net.case,
        dedup_key="test:silence",
        subject=f"{Notification.EMAIL_PREFIX}Silence: {net.case.reference}",
        body="No access.")
    page = signed_in(w.fr_caseworker).get("/notifications/").content.decode()
    assert f"Silence: {net.case.reference}" in page and Notification.EMAIL_PREFIX not in page
    assert f'<a href="{reverse("cases:case_detail", args=[net.case.pk])}">' in page
