"""The web pages of notifications and the case page's monitoring panels: each user's own
notifications, marked read as a form or with htmx, the notification settings; the lists cost
the same queries for few rows or many; the panels show compliance, follow-ups, findings and the
risk brief. ngo_fr owns the monitored case, shared with ministry_de; ngo_it is the outsider."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from cases.models import Assurance, Case
from cases.views.base import CASE_PANELS, TIMELINE_SOURCES
from monitoring.models import (
    Notification,
    NotificationPreference,
)

from ..factories import AssuranceFactory, CaseFactory, SubjectFactory, UserFactory
from ..monitoring_helpers import (
    DAY,
    HOUR,
    NOW,
    TODAY,
    ad_hoc,
    freeze,
    submit,
)
from .test_web_monitoring import (
    SECRETS,
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
            if panel.template.startswith(("monitoring/", "reporting/")):
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
    # The page shows "<kind label>: <summary>": the summary does not say its kind again, nor
    # write a date other than as the page's language does.
    assert not [e for e in entries if e["summary"].startswith(str(e["kind_label"]))]
    assert not [e for e in entries if re.search(r"\d{4}-\d{2}-\d{2}", e["summary"])]
    request.user = UserFactory(username="nobody")
    assert timeline_entries(request, net.case, False) == []
