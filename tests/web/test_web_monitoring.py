"""The web pages of monitoring after surrender, findings and their sharing, and notifications:
who reaches each page, what a partner sees of a finding, the follow-up, and the check report
filed all or nothing (sharing is in test_web_findings.py, notifications and the case page's
panels in test_web_monitoring_panels.py).

ngo_fr owns a GREEN case shared with ministry_de through `fr_de_group`, with a filed first
visit (two findings) and an open regular check; ngo_it is an outsider. The clock is frozen.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client

from cases.models import Assurance
from cases.models.sharing import TLP, Distribution
from monitoring import services
from monitoring.models import (
    CheckReport,
    Evidence,
    Finding,
    FollowUp,
    Notification,
)

from ..factories import AssuranceFactory, SubjectFactory
from ..monitoring_helpers import (
    DAY,
    ELF,
    HOUR,
    NOW,
    PDF,
    TODAY,
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


def shared_monitoring(world):
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


@pytest.fixture
def net(world):
    return shared_monitoring(world)


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
