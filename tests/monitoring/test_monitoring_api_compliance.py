"""A case's compliance and the notifications through /api/v1/: a case is as compliant as its
worst open finding, a lapse of monitoring counts against it, and a partner sees the compliance
of the findings it may see only; notifications are the caller's own, marked read by their
recipient, with settings per user.

ngo_fr owns the monitored case, shared with ministry_de through `fr_de_group`; ngo_it is the
outsider. The clock is frozen at NOW.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from monitoring import services
from monitoring.models import (
    Finding,
    Notification,
    NotificationPreference,
)
from monitoring.sweep import sweep

from ..conftest import api_client, session_client
from ..factories import UserFactory
from ..monitoring_helpers import (
    DAY,
    HOUR,
    NOW,
    freeze,
    open_regular_checks,
    submit,
)
from .test_monitoring_api import ids, monitoring_records, pk


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


@pytest.fixture
def rec(world):
    return monitoring_records(world)


# --- compliance ------------------------------------------------------------------------------


def compliance(user, case):
    response = api_client(user).get(f"/api/v1/cases/{case.pk}/compliance/")
    assert response.status_code == 200, response.content
    data = response.json()
    return data, {row["assurance"]: row for row in data["assurances"]}


def test_a_case_without_findings_is_unverified(rec):
    data, rows = compliance(rec.world.fr_caseworker, rec.case)
    assert data["compliance"] == "unverified"
    assert {row["latest_outcome"] for row in rows.values()} == {"unverified"}
    assert {row["worst_open_finding"] for row in rows.values()} == {"unverified"}
    assert data["checks_done"] == 0 and data["lapses"] == 0
    assert data["last_access_granted_at"] is None
    assert data["next_due_at"] == rec.visit.due_at.isoformat().replace("+00:00", "Z")
    assert data["next_follow_up"] == str(rec.visit.pk)


def test_compliance_with_one_assurance_unchecked_is_never_complied(rec, clock):
    submit(rec.world, rec.visit, checked_at=NOW - HOUR, findings=[
        {"assurance": rec.access, "outcome": "complied", "severity": "low"}])

    data, rows = compliance(rec.world.fr_caseworker, rec.case)
    assert rows[str(rec.access.pk)]["worst_open_finding"] == "complied"
    assert rows[str(rec.torture.pk)]["worst_open_finding"] == "unverified"
    assert data["compliance"] == "unverified"
    assert data["checks_done"] == 1
    assert data["last_access_granted_at"] is not None
    (regular,) = open_regular_checks(rec.case)
    assert data["next_due_at"] == regular.due_at.isoformat().replace("+00:00", "Z")

    clock.move_to(NOW + 6 * DAY)
    submit(rec.world, regular, checked_at=NOW + 5 * DAY, findings=[
        {"assurance": rec.access, "outcome": "complied", "severity": "low"},
        {"assurance": rec.torture, "outcome": "complied", "severity": "low"}])
    data, rows = compliance(rec.world.fr_caseworker, rec.case)
    assert data["compliance"] == "complied"
    assert data["checks_done"] == 2
    assert rows[str(rec.access.pk)]["checks_done"] == 2


def test_a_case_is_as_compliant_as_its_worst_open_finding(rec, clock):
    submit(rec.world, rec.visit, checked_at=NOW - HOUR, findings=[
        {"assurance": rec.access, "outcome": "access_delayed", "severity": "medium"},
        {"assurance": rec.torture, "outcome": "breach", "severity": "critical"}],
        access="delayed", access_delay_hours=20)
    data, rows = compliance(rec.world.fr_caseworker, rec.case)
    assert data["compliance"] == "breach"

    # A later "complied" does not close a breach: a person resolves it.
    (regular,) = open_regular_checks(rec.case)
    clock.move_to(NOW + 6 * DAY)
    submit(rec.world, regular, checked_at=NOW + 5 * DAY, findings=[
        {"assurance": rec.access, "outcome": "complied", "severity": "low"},
        {"assurance": rec.torture, "outcome": "complied", "severity": "low"}])
    data, rows = compliance(rec.world.fr_caseworker, rec.case)
    torture = rows[str(rec.torture.pk)]
    assert torture["latest_outcome"] == "complied" and torture["worst_open_finding"] == "breach"
    assert rows[str(rec.access.pk)]["worst_open_finding"] == "complied"
    assert data["compliance"] == "breach"

    breach = Finding.objects.get(assurance=rec.torture, outcome="breach")
    services.finding_update(actor=rec.world.fr_caseworker, finding=breach,
                            version=breach.version, is_open=False)
    data, _ = compliance(rec.world.fr_caseworker, rec.case)
    assert data["compliance"] == "complied"


def test_a_lapse_of_monitoring_counts_against_the_case(rec):
    sweep(now=rec.visit.missed_at)
    data, rows = compliance(rec.world.fr_caseworker, rec.case)
    assert data["lapses"] == 1
    assert rows[str(rec.access.pk)]["worst_open_finding"] == "monitoring_lapsed"
    assert data["compliance"] == "monitoring_lapsed"


def test_the_partner_sees_the_compliance_of_the_findings_it_may_see_only(rec):
    submit(rec.world, rec.visit, checked_at=NOW - HOUR, findings=[
        {"assurance": rec.access, "outcome": "complied", "severity": "low"},
        {"assurance": rec.torture, "outcome": "breach", "severity": "critical"}])
    partner = rec.world.de_liaison
    data, rows = compliance(partner, rec.case)
    assert data["compliance"] == "breach"

    # The owner keeps the breach to itself: for the partner it is as if it were not there.
    breach = Finding.objects.get(outcome="breach")
    services.finding_share(actor=rec.world.fr_caseworker, finding=breach,
                           version=breach.version, distribution="organisation")
    assert str(breach.pk) not in ids(api_client(partner).get("/api/v1/findings/"))
    data, rows = compliance(partner, rec.case)
    assert rows[str(rec.torture.pk)]["worst_open_finding"] == "unverified"
    assert data["compliance"] == "unverified"
    assert compliance(rec.world.fr_caseworker, rec.case)[0]["compliance"] == "breach"


def test_a_lapse_on_a_shared_case_travels_with_it_like_any_finding(rec):
    sweep(now=rec.visit.missed_at)
    lapse = Finding.objects.get(case=rec.case, outcome="monitoring_lapsed")
    assert (lapse.distribution, lapse.sharing_group, lapse.tlp) == (
        rec.case.distribution, rec.case.sharing_group, rec.case.tlp)
    partner = rec.world.de_liaison
    assert ids(api_client(partner).get("/api/v1/findings/")) == pk(lapse)
    assert compliance(partner, rec.case)[0]["compliance"] == "monitoring_lapsed"
    outsider = ids(api_client(rec.world.it_caseworker).get("/api/v1/findings/"))
    assert outsider == pk(Finding.objects.get(case=rec.italian))


def test_compliance_of_an_invisible_case_is_not_found(rec):
    response = api_client(rec.world.it_caseworker).get(f"/api/v1/cases/{rec.case.pk}/compliance/")
    assert response.status_code == 404


# --- notifications ---------------------------------------------------------------------------


@pytest.fixture
def inbox(rec):
    sweep(now=NOW)  # the first visits are overdue
    w = rec.world
    return SimpleNamespace(
        mine=set(Notification.objects.filter(recipient=w.fr_caseworker)),
        admins=set(Notification.objects.filter(recipient=w.fr_admin)),
    )


def test_notifications_list_only_the_callers_own(rec, inbox):
    w = rec.world
    assert inbox.mine and inbox.admins
    assert ids(api_client(w.fr_caseworker).get("/api/v1/notifications/")) == pk(*inbox.mine)
    assert ids(api_client(w.fr_admin).get("/api/v1/notifications/")) == pk(*inbox.admins)
    assert ids(api_client(w.de_liaison).get("/api/v1/notifications/")) == set()


def test_a_notification_is_marked_read_by_its_recipient_only(rec, inbox):
    w = rec.world
    mine = next(iter(inbox.mine))
    theirs = next(iter(inbox.admins))

    response = api_client(w.fr_caseworker).post(f"/api/v1/notifications/{mine.pk}/read/")
    assert response.status_code == 200, response.content
    mine.refresh_from_db()
    assert mine.read_at == NOW
    assert response.json()["read_at"] is not None

    for url in (f"/api/v1/notifications/{theirs.pk}/read/", f"/api/v1/notifications/{theirs.pk}/"):
        method = "post" if url.endswith("read/") else "get"
        assert getattr(api_client(w.fr_caseworker), method)(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    unread = ids(api_client(w.fr_caseworker).get("/api/v1/notifications/?unread=true"))
    assert unread == pk(*inbox.mine) - pk(mine)


def test_notification_preferences_are_read_and_set_per_user(rec):
    w = rec.world
    client = api_client(w.fr_caseworker)
    current = client.get("/api/v1/notification-preferences/").json()
    assert {row["kind"] for row in current} == set(Notification.Kind.values)
    assert all(row["email"] is True for row in current)

    response = client.put("/api/v1/notification-preferences/", [
        {"kind": "due_soon", "email": False}, {"kind": "silence", "email": False},
    ], format="json")
    assert response.status_code == 200, response.content
    off = {row["kind"] for row in response.json() if not row["email"]}
    assert off == {"due_soon", "silence"}
    assert set(NotificationPreference.objects.filter(user=w.fr_caseworker, email=False)
               .values_list("kind", flat=True)) == off
    # Another user's settings are their own.
    other = api_client(w.fr_admin).get("/api/v1/notification-preferences/").json()
    assert all(row["email"] for row in other)

    bad = client.put("/api/v1/notification-preferences/", [{"kind": "gossip", "email": False}],
                     format="json")
    assert bad.status_code == 400
    assert NotificationPreference.objects.filter(user=w.fr_caseworker).count() == 2


def test_a_new_user_without_memberships_sees_no_notifications(rec, inbox):
    stranger = UserFactory(username="stranger")
    assert ids(session_client(stranger).get("/api/v1/notifications/")) == set()
