"""The web pages of monitoring after surrender, findings and their sharing, and notifications:
who reaches each page, the check report filed all or nothing, sharing under the label's
ceiling, re-sharing, what a partner sees of a finding, and the case page's monitoring panels.

ngo_fr owns a GREEN case shared with ministry_de through `fr_de_group`, with a filed first
visit (two findings) and an open regular check; ngo_it is an outsider. The clock is frozen.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from cases.models import Assurance, Case
from cases.models.sharing import TLP, Distribution
from cases.views.base import CASE_PANELS, TIMELINE_SOURCES
from monitoring import services
from monitoring.models import (
    CheckReport,
    Evidence,
    Finding,
    FindingComment,
    FindingShare,
    FollowUp,
    Notification,
    NotificationPreference,
)

from ..factories import AssuranceFactory, CaseFactory, SubjectFactory, UserFactory
from ..monitoring_helpers import (
    DAY,
    ELF,
    HOUR,
    NOW,
    PDF,
    TODAY,
    ad_hoc,
    first_visit,
    freeze,
    monitored_case,
    open_regular_checks,
    submit,
    upload,
)

PASSWORD = "correct horse battery staple"
PAGES = {
    "monitoring:follow_up_list",
    "monitoring:follow_up_detail",
    "monitoring:follow_up_edit",
    "monitoring:follow_up_report",
    "monitoring:finding_detail",
    "monitoring:finding_share",
    "monitoring:finding_reshare",
    "monitoring:finding_reshare_withdraw",
    "monitoring:inbox",
    "monitoring:notification_list",
    "monitoring:notification_read",
    "monitoring:notification_preferences",
}

# Strings only the owner may read: planted, then looked for in what a partner gets.
FULL_NAME = "Zhou Planted-Fullname"
NARRATIVE = "Planted narrative: met the sister at the gate"
VISITORS = "Planted visitor: Consul Dupont-Secret"
SUMMARY = "Planted summary of evidence from a named witness"
NOTE = "Planted note: call the lawyer first"
SECRETS = (FULL_NAME, NARRATIVE, VISITORS, SUMMARY, NOTE)


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


def signed_in(user) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def net(world):
    w = world
    n = SimpleNamespace(world=w)
    n.case = monitored_case(
        w, surrender=TODAY - 5 * DAY, distribution=Distribution.SHARING_GROUP,
        sharing_group=w.fr_de_group, tlp=TLP.GREEN,
        subject=SubjectFactory(owner=w.ngo_fr, full_name=FULL_NAME),
    )
    n.access = AssuranceFactory(case=n.case, type=Assurance.Type.MONITORING_ACCESS)
    n.torture = AssuranceFactory(case=n.case, type=Assurance.Type.NO_TORTURE)
    n.report = submit(
        w, first_visit(n.case), checked_at=NOW - 2 * HOUR, privacy="private",
        visitors=VISITORS, narrative=NARRATIVE,
        findings=[{"assurance": a, "outcome": "complied", "severity": "low",
                   "evidence_summary": SUMMARY} for a in (n.access, n.torture)],
    )
    n.finding = Finding.objects.get(case=n.case, assurance=n.torture)
    (n.check,) = open_regular_checks(n.case)
    services.follow_up_update(actor=w.fr_caseworker, follow_up=n.check, version=n.check.version,
                              note=NOTE, assignee=w.fr_caseworker)
    n.check.refresh_from_db()
    n.share = services.finding_reshare(actor=w.de_liaison, finding=n.finding,
                                       distribution=Distribution.SHARING_GROUP,
                                       sharing_group=w.fr_de_group)
    n.notification = Notification.objects.create(
        recipient=w.fr_caseworker, kind=Notification.Kind.DUE, case=n.case,
        follow_up=n.check, dedup_key="test:due:cw", subject="Follow-up due: planted-own",
        body="Check due.",
    )
    return n


def url_of(name, n) -> str:
    from django.urls import reverse

    args = {
        "follow_up_detail": [n.check.pk], "follow_up_edit": [n.check.pk],
        "follow_up_report": [n.check.pk], "finding_detail": [n.finding.pk],
        "finding_share": [n.finding.pk], "finding_reshare": [n.finding.pk],
        "finding_reshare_withdraw": [n.share.pk], "notification_read": [n.notification.pk],
    }.get(name, [])
    return reverse(f"monitoring:{name}", args=args)


# --- who reaches each page -------------------------------------------------------------------

ACTORS = ["fr_caseworker", "fr_liaison", "fr_auditor", "fr_admin", "de_caseworker",
          "de_liaison", "it_caseworker", "anonymous"]
ALL = dict.fromkeys(ACTORS[:-1], 200)
SEEN = {**ALL, "it_caseworker": 404}
OWNER_EDITORS = {"fr_caseworker": 200, "fr_liaison": 403, "fr_auditor": 403, "fr_admin": 200,
                 "de_caseworker": 403, "de_liaison": 403, "it_caseworker": 404}
GET_MATRIX = {
    "follow_up_list": ALL,
    "follow_up_detail": SEEN,
    "follow_up_edit": OWNER_EDITORS,
    "follow_up_report": OWNER_EDITORS,
    "finding_detail": SEEN,
    "finding_share": OWNER_EDITORS,
    # A recipient's liaison or admin passes a GREEN finding on; its owner shares it otherwise.
    "finding_reshare": {"fr_caseworker": 403, "fr_liaison": 403, "fr_auditor": 403,
                        "fr_admin": 403, "de_caseworker": 403, "de_liaison": 200,
                        "it_caseworker": 404},
    "inbox": ALL,
    "notification_list": ALL,
    "notification_preferences": ALL,
}
POST_MATRIX = {
    # Who passed it on, or the owner's editors, take it back.
    "finding_reshare_withdraw": {"fr_caseworker": 302, "fr_liaison": 403, "fr_auditor": 403,
                                 "fr_admin": 302, "de_caseworker": 403, "de_liaison": 302,
                                 "it_caseworker": 404},
    # Only one's own notification.
    "notification_read": {"fr_caseworker": 302, "fr_liaison": 404, "fr_auditor": 404,
                          "fr_admin": 404, "de_caseworker": 404, "de_liaison": 404,
                          "it_caseworker": 404},
}


def actor(world, who):
    return None if who == "anonymous" else getattr(world, who)


@pytest.mark.parametrize("name,who", [(n, a) for n in GET_MATRIX for a in ACTORS])
def test_who_reaches_each_page(net, name, who):
    response = signed_in(actor(net.world, who)).get(url_of(name, net))
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        return
    assert response.status_code == GET_MATRIX[name][who], response.content[:400]


@pytest.mark.parametrize("name,who", [(n, a) for n in POST_MATRIX for a in ACTORS])
def test_who_may_act(net, name, who):
    response = signed_in(actor(net.world, who)).post(url_of(name, net))
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        return
    assert response.status_code == POST_MATRIX[name][who]


@pytest.mark.parametrize("name", sorted(POST_MATRIX))
def test_actions_take_no_get(net, name):
    assert signed_in(net.world.fr_caseworker).get(url_of(name, net)).status_code == 405


def test_every_page_is_in_pages():
    from monitoring.views import checks, sharing

    names = {f"monitoring:{p.name}" for p in checks.urlpatterns + sharing.urlpatterns}
    assert names == PAGES


@pytest.mark.parametrize("who,shown", [("fr_caseworker", True), ("fr_admin", True),
                                       ("fr_liaison", False), ("fr_auditor", False),
                                       ("de_caseworker", False)])
def test_the_report_button_only_for_the_owners_caseworkers(net, who, shown):
    page = signed_in(getattr(net.world, who)).get(url_of("follow_up_detail", net))
    assert (url_of("follow_up_report", net) in page.content.decode()) == shown
    listing = signed_in(getattr(net.world, who)).get(url_of("follow_up_list", net))
    assert (url_of("follow_up_report", net) in listing.content.decode()) == shown


# --- what a partner and an outsider see ------------------------------------------------------


def test_the_partner_sees_the_finding_pseudonymised_without_the_summary(net):
    w = net.world
    page = signed_in(w.de_caseworker).get(url_of("finding_detail", net)).content.decode()
    assert net.case.subject.reference in page and net.case.reference in page
    assert "TLP:GREEN" in page
    for secret in SECRETS:
        assert secret not in page
    assert signed_in(w.fr_caseworker).get(url_of("finding_detail", net)).content.decode().count(
        SUMMARY) == 1
    # Once the owner marks the summary shareable, recipients read it.
    services.finding_share(actor=w.fr_caseworker, finding=net.finding, version=net.finding.version,
                           distribution=Distribution.SHARING_GROUP, sharing_group=w.fr_de_group,
                           summary_shareable=True)
    assert SUMMARY in signed_in(w.de_caseworker).get(url_of("finding_detail", net)).content.decode()


def test_the_partner_sees_the_structure_of_checks_not_their_free_text(net):
    w = net.world
    client = signed_in(w.de_caseworker)
    pages = [client.get(url_of("follow_up_list", net)),
             client.get(url_of("follow_up_detail", net)),
             client.get(f"/follow-ups/{first_visit(net.case).pk}/")]
    for page in pages:
        assert page.status_code == 200
        for secret in (*SECRETS, w.fr_caseworker.username):
            assert secret not in page.content.decode()
    assert net.case.reference in pages[0].content.decode()
    owner = signed_in(w.fr_caseworker).get(f"/follow-ups/{first_visit(net.case).pk}/")
    assert NARRATIVE in owner.content.decode() and VISITORS in owner.content.decode()


def test_the_outsider_lists_nothing(net):
    page = signed_in(net.world.it_caseworker).get(url_of("follow_up_list", net)).content.decode()
    assert net.case.reference not in page
    inbox = signed_in(net.world.it_caseworker).get(url_of("inbox", net)).content.decode()
    assert net.case.reference not in inbox


# --- the follow-up ---------------------------------------------------------------------------


def test_follow_up_list_filters(net):
    client = signed_in(net.world.fr_caseworker)
    assert net.case.reference in client.get("/follow-ups/?status=scheduled").content.decode()
    assert net.case.reference not in client.get("/follow-ups/?status=cancelled").content.decode()
    assert net.case.reference in client.get("/follow-ups/?mine=true").content.decode()
    assert net.case.reference not in signed_in(net.world.fr_admin).get(
        "/follow-ups/?mine=true").content.decode()
    due = net.check.due_at.date()
    assert net.case.reference in client.get(
        f"/follow-ups/?due_after={due}&due_before={due}").content.decode()
    assert net.case.reference not in client.get(
        f"/follow-ups/?due_after={due + DAY}").content.decode()
    for garbage in ("status=nope", "due_after=2026-13-45", "mine=%00", "sort=%00", "page=x",
                    "kind=first_visit&kind=%00"):
        assert client.get(f"/follow-ups/?{garbage}").status_code == 200


def test_follow_up_edit_reassigns_and_cancels(net):
    w = net.world
    client = signed_in(w.fr_caseworker)
    form = client.get(url_of("follow_up_edit", net)).content.decode()
    # Only the owner's members are offered.
    assert 'value="fr_admin"' in form and 'value="de_caseworker"' not in form
    data = {"assignee": "fr_admin", "window_opens_at": net.check.window_opens_at
            .strftime("%Y-%m-%dT%H:%M"), "due_at": net.check.due_at.strftime("%Y-%m-%dT%H:%M"),
            "note": "Reassigned", "version": net.check.version}
    assert client.post(url_of("follow_up_edit", net), data).status_code == 302
    net.check.refresh_from_db()
    assert (net.check.assignee, net.check.note) == (w.fr_admin, "Reassigned")
    # Another organisation's member is refused next to the field.
    response = client.post(url_of("follow_up_edit", net),
                           {**data, "assignee": "de_caseworker", "version": net.check.version})
    assert response.status_code == 400
    assert 'id="id_assignee_error"' in response.content.decode()
    response = client.post(url_of("follow_up_edit", net),
                           {**data, "cancel": "on", "version": net.check.version})
    assert response.status_code == 302
    net.check.refresh_from_db()
    assert net.check.status == FollowUp.Status.CANCELLED


def test_a_stale_follow_up_edit_shows_the_conflict_and_overwrites_nothing(net):
    w = net.world
    stale = net.check.version
    services.follow_up_update(actor=w.fr_admin, follow_up=net.check, version=stale,
                              note="Saved by the admin")
    data = {"assignee": "fr_caseworker", "note": "Mine",
            "window_opens_at": net.check.window_opens_at.strftime("%Y-%m-%dT%H:%M"),
            "due_at": net.check.due_at.strftime("%Y-%m-%dT%H:%M"), "version": stale}
    response = signed_in(w.fr_caseworker).post(url_of("follow_up_edit", net), data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Saved by the admin" in page and "Mine" in page
    assert f'name="version" value="{stale + 1}"' in page
    net.check.refresh_from_db()
    assert net.check.note == "Saved by the admin"


@pytest.mark.parametrize("over,field", [
    ({"due_at": "2026-02-30T10:00"}, "due_at"),
    ({"window_opens_at": "yesterday"}, "window_opens_at"),
    ({"assignee": "\x00"}, "assignee"),
    ({"note": "a\x00b"}, "note"),
    ({"version": "x"}, None),
])
def test_a_bad_follow_up_edit_changes_nothing(net, over, field):
    before = FollowUp.objects.filter(pk=net.check.pk).values().get()
    data = {"assignee": "fr_caseworker", "note": "Typed-and-kept",
            "window_opens_at": net.check.window_opens_at.strftime("%Y-%m-%dT%H:%M"),
            "due_at": net.check.due_at.strftime("%Y-%m-%dT%H:%M"), "version": net.check.version,
            **over}
    response = signed_in(net.world.fr_caseworker).post(url_of("follow_up_edit", net), data)
    assert response.status_code == 400
    if field:
        assert f'id="id_{field}_error"' in response.content.decode()
    if "note" not in over:
        assert "Typed-and-kept" in response.content.decode()
    assert FollowUp.objects.filter(pk=net.check.pk).values().get() == before


# --- the check report ------------------------------------------------------------------------


def assurances_of(case):
    return list(Assurance.objects.filter(case=case).order_by("created_at", "pk"))


def report_data(case, **over) -> dict:
    data = {"checked_at": (NOW - HOUR).strftime("%Y-%m-%dT%H:%M"), "access": "granted",
            "privacy": "private", "visitors": VISITORS, "narrative": NARRATIVE,
            "interpreter_independent": "true", "doctor_present": "unknown",
            "custody_phase": "initial_custody"}
    for i, assurance in enumerate(assurances_of(case)):
        data.update({f"finding-{i}-assurance": assurance.pk, f"finding-{i}-outcome": "complied",
                     f"finding-{i}-severity": "low", f"finding-{i}-confidence": "high",
                     f"finding-{i}-evidence_summary": SUMMARY})
    data.update(over)
    return data


def stored(case) -> tuple:
    return (CheckReport.objects.filter(case=case).count(),
            Finding.objects.filter(case=case).count(),
            Evidence.objects.filter(case=case).count(),
            FollowUp.objects.get(pk=open_regular_checks(case)[0].pk).status
            if open_regular_checks(case) else None)


def evidence_files(case) -> list[str]:
    folder = os.path.join(settings.MEDIA_ROOT, "evidence", str(case.pk))
    return os.listdir(folder) if os.path.isdir(folder) else []


def test_the_report_is_filed_with_its_findings_and_evidence(net):
    url = url_of("follow_up_report", net)
    client = signed_in(net.world.fr_caseworker)
    form = client.get(url).content.decode()
    assert 'for="id_finding-0-outcome"' in form and 'for="id_evidence"' in form
    data = report_data(net.case, **{"finding-1-outcome": "", "finding-1-severity": ""},
                       evidence=[upload("visit.pdf", PDF), upload("notes.txt", b"seen well")])
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    report = CheckReport.objects.get(follow_up=net.check)
    assert (report.narrative, report.interpreter_independent, report.doctor_present) == (
        NARRATIVE, True, None)
    # The assurance left blank has no finding from this check.
    assert list(report.findings.values_list("assurance_id", "outcome")) == [
        (assurances_of(net.case)[0].pk, "complied")]
    assert sorted(report.evidence.values_list("content_type", flat=True)) == [
        "application/pdf", "text/plain"]
    net.check.refresh_from_db()
    assert net.check.status == FollowUp.Status.COMPLETED


@pytest.mark.parametrize("over,field", [
    ({"finding-1-severity": ""}, "finding-1-severity"),
    ({"access": "delayed"}, "access_delay_hours"),
    ({"access": "refused", "refusal_reason": ""}, "refusal_reason"),
    ({"checked_at": (NOW + 2 * DAY).strftime("%Y-%m-%dT%H:%M")}, "checked_at"),
    ({"checked_at": "2026-02-31T10:00"}, "checked_at"),
    ({"access": "maybe"}, "access"),
    ({"finding-0-outcome": "glorious"}, "finding-0-outcome"),
    ({"narrative": "nul\x00byte"}, "narrative"),
    ({"access_delay_hours": "10" * 30}, "access_delay_hours"),
    ({"finding-0-assurance": "\x00"}, "finding-0-assurance"),
    ({"finding-1-assurance": "not-a-uuid"}, "finding-1-assurance"),
])
def test_a_bad_report_stores_nothing_and_keeps_every_typed_value(net, over, field):
    before = stored(net.case)
    data = report_data(net.case, **over, facility="Planted-typed-facility")
    response = signed_in(net.world.fr_caseworker).post(url_of("follow_up_report", net), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert "Planted-typed-facility" in page and SUMMARY in page
    if field != "narrative":
        assert NARRATIVE in page
    assert stored(net.case) == before


def test_a_finding_for_an_assurance_of_another_case_is_refused(net):
    other = monitored_case(net.world, surrender=TODAY - 5 * DAY)
    foreign = AssuranceFactory(case=other)
    before = stored(net.case)
    response = signed_in(net.world.fr_caseworker).post(
        url_of("follow_up_report", net),
        report_data(net.case, **{"finding-1-assurance": foreign.pk}))
    assert response.status_code == 400
    assert 'id="id_finding-1-assurance_error"' in response.content.decode()
    assert stored(net.case) == before
    assert not Finding.objects.filter(assurance=foreign).exists()


def test_evidence_of_a_disallowed_type_is_an_error_and_nothing_is_stored(net):
    before, files = stored(net.case), evidence_files(net.case)
    response = signed_in(net.world.fr_caseworker).post(
        url_of("follow_up_report", net),
        report_data(net.case, evidence=[upload("fine.pdf", PDF), upload("tool.pdf", ELF)]))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_evidence_error"' in page and "tool.pdf" in page
    assert NARRATIVE in page
    assert stored(net.case) == before
    # Not even the file that was fine is left behind.
    assert evidence_files(net.case) == files


def test_a_completed_follow_up_takes_no_second_report(net):
    done = first_visit(net.case)
    response = signed_in(net.world.fr_caseworker).post(
        f"/follow-ups/{done.pk}/report/", report_data(net.case))
    assert response.status_code == 400
    assert "it takes no report" in response.content.decode()
    assert CheckReport.objects.filter(case=net.case).count() == 1


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


# --- notifications ---------------------------------------------------------------------------


def test_notifications_are_only_the_users_own(net):
    w = net.world
    Notification.objects.create(recipient=w.fr_admin, kind=Notification.Kind.DUE, case=net.case,
                                dedup_key="test:due:admin", subject="Admin's planted-other",
                                body="x")
    client = signed_in(w.fr_caseworker)
    page = client.get("/notifications/").content.decode()
    assert "planted-own" in page and "planted-other" not in page
    other = Notification.objects.get(recipient=w.fr_admin)
    assert client.post(f"/notifications/{other.pk}/read/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_marking_read_works_as_a_form_and_with_htmx(net):
    w = net.world
    client = signed_in(w.fr_caseworker)
    second = Notification.objects.create(recipient=w.fr_caseworker, kind="overdue",
                                         case=net.case, dedup_key="test:overdue:cw",
                                         subject="Second-planted", body="y")
    response = client.post(f"/notifications/{second.pk}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    row = response.content.decode()
    assert row.lstrip().startswith("<tr") and "Mark read" not in row and "<html" not in row
    response = client.post(f"/notifications/{net.notification.pk}/read/",
                           {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert not Notification.objects.filter(recipient=w.fr_caseworker, read_at=None).exists()
    # Unread first: a new one heads the list.
    Notification.objects.create(recipient=w.fr_caseworker, kind="due", case=net.case,
                                dedup_key="test:due:new", subject="Newest unread", body="z")
    page = client.get("/notifications/").content.decode()
    assert 'hx-post="/notifications/' in page and 'hx-swap="outerHTML"' in page
    assert page.index("Newest unread") < page.index("Second-planted")


def test_notification_preferences(net):
    client = signed_in(net.world.fr_caseworker)
    page = client.get("/notifications/preferences/").content.decode()
    assert '<input type="checkbox" name="due_soon" id="id_due_soon" checked>' in page
    data = {kind: "on" for kind in Notification.Kind.values if kind != "due_soon"}
    assert client.post("/notifications/preferences/", data).status_code == 302
    chosen = dict(NotificationPreference.objects.filter(user=net.world.fr_caseworker)
                  .values_list("kind", "email"))
    assert chosen["due_soon"] is False and chosen["overdue"] is True
    page = client.get("/notifications/preferences/").content.decode()
    assert '<input type="checkbox" name="due_soon" id="id_due_soon">' in page


# --- query counts ----------------------------------------------------------------------------


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def add_follow_ups(world, n):
    for i in range(n):
        case = CaseFactory(owner=world.ngo_fr, subject=SubjectFactory(owner=world.ngo_fr),
                           status=Case.Status.MONITORING_ACTIVE, surrender_date=TODAY - DAY)
        ad_hoc(world, case, opens=NOW + DAY, due=NOW + (i + 2) * DAY,
               assignee=world.fr_admin if i % 2 else world.fr_caseworker)


def test_follow_up_list_costs_the_same_for_5_rows_or_60(world):
    client = signed_in(world.fr_caseworker)
    add_follow_ups(world, 5)
    few = queries(client, "/follow-ups/?sort=-due")
    add_follow_ups(world, 55)
    assert queries(client, "/follow-ups/?sort=-due") == few


def add_notifications(world, n, start=0):
    case = CaseFactory(owner=world.ngo_fr, subject=SubjectFactory(owner=world.ngo_fr))
    for i in range(start, start + n):
        Notification.objects.create(recipient=world.fr_caseworker, kind="due", case=case,
                                    dedup_key=f"count:{i}", subject=f"Due {i}", body="b",
                                    read_at=NOW if i % 3 == 0 else None)


def test_notification_list_costs_the_same_for_5_rows_or_60(world):
    client = signed_in(world.fr_caseworker)
    add_notifications(world, 5)
    few = queries(client, "/notifications/")
    add_notifications(world, 55, start=5)
    assert queries(client, "/notifications/") == few


# --- the case page's panels ------------------------------------------------------------------


def panel_html(user, case) -> tuple[str, int]:
    request = RequestFactory().get("/")
    request.user = user
    html = []
    with CaptureQueriesContext(connection) as ctx:
        for panel in CASE_PANELS:
            if panel.template.startswith("monitoring/"):
                html.append(render_to_string(panel.template, panel.context(request, case)))
    return "".join(html), len(ctx.captured_queries)


def test_the_panels_show_compliance_follow_ups_and_findings(net):
    w = net.world
    # A third assurance with no finding reads "unverified", never compliance.
    AssuranceFactory(case=net.case, type=Assurance.Type.FAIR_TRIAL)
    html, _ = panel_html(w.fr_caseworker, net.case)
    assert "Unverified" in html and "Complied" in html
    assert url_of("follow_up_report", net) in html
    assert url_of("finding_detail", net) in html and url_of("finding_share", net) in html
    partner, _ = panel_html(w.de_caseworker, net.case)
    assert url_of("finding_detail", net) in partner
    assert url_of("follow_up_report", net) not in partner
    assert url_of("finding_share", net) not in partner
    for secret in (*SECRETS, w.fr_caseworker.username):
        assert secret not in partner


def test_the_panels_cost_a_bounded_number_of_queries(net):
    w = net.world
    _, few = panel_html(w.fr_caseworker, net.case)
    for i in range(4):
        follow_up = ad_hoc(w, net.case, opens=NOW + DAY, due=NOW + (i + 2) * DAY)
        submit(w, follow_up, checked_at=NOW - HOUR, findings=[
            {"assurance": net.torture, "outcome": "partial", "severity": "medium"}])
    _, many = panel_html(w.fr_caseworker, net.case)
    assert many == few


def test_a_case_awaiting_a_decision_shows_the_risk_brief(net):
    w = net.world
    pending = CaseFactory(owner=w.ngo_fr, subject=SubjectFactory(owner=w.ngo_fr),
                          status=Case.Status.EXECUTIVE_DECISION)
    html, _ = panel_html(w.fr_caseworker, pending)
    assert "Before deciding" in html
    # One earlier case only: a small cell shows "<3" and nothing more.
    assert "&lt;3" in html
    assert net.case.reference in html and "monitoring still open" in html
    assert "Before deciding" not in panel_html(w.fr_caseworker, net.case)[0]


def test_the_timeline_entries_of_monitoring(net):
    request = RequestFactory().get("/")
    request.user = net.world.de_caseworker
    from monitoring.views.panels import timeline_entries

    assert timeline_entries in TIMELINE_SOURCES
    entries = timeline_entries(request, net.case, False)
    assert {e["kind"] for e in entries} == {"follow_up", "check_report", "finding"}
    assert all({"date", "kind", "summary"} <= set(e) for e in entries)
    request.user = UserFactory(username="nobody")
    assert timeline_entries(request, net.case, False) == []
