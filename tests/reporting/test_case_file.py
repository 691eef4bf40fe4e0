"""The case file (reporting/casefile.py): the case page as a PDF, for whoever may see the page.

ngo_fr owns a GREEN case shared with ministry_de through `fr_de_group`, with a filed first
visit (two findings) and an open regular check (tests/web/test_web_monitoring.py's
`shared_monitoring`); ngo_it is an outsider. The clock is frozen at 10 March 2026.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from cases.models import AuditEvent, Case
from cases.models.sharing import Distribution

from ..factories import ProceedingFactory
from ..monitoring_helpers import freeze
from ..web.test_web_monitoring import FULL_NAME, SUMMARY, shared_monitoring, signed_in

PAGES = {"reporting:case_file"}
LABEL = "TLP:GREEN"
# What the case factory and the proceedings factory plant for the owner's eyes only.
OWNER_TEXT = ("Confidential note on sources", "A-1234/5-2026", "Hearing notes naming the family")
Action = AuditEvent.Action


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


@pytest.fixture
def net(world):
    n = shared_monitoring(world)
    ProceedingFactory(case=n.case)
    return n


def url(case, **params) -> str:
    query = "".join(f"?{k}={v}" for k, v in params.items())
    return reverse("reporting:case_file", kwargs={"pk": case.pk}) + query


def words(text: str) -> str:
    """The text on one line, with words broken at a hyphen joined again."""
    return re.sub(r"(?<=\w)- (?=\w)", "-", " ".join(text.split()))


def pages_of(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(b"".join(response.streaming_content)
                               if response.streaming else response.content))
    return [words(page.extract_text()) for page in pdf.pages]


def text_for(user, case, **params) -> str:
    return " ".join(pages_of(signed_in(user).get(url(case, **params))))


def exports_of(case):
    return AuditEvent.objects.filter(action=Action.EXPORT, object_type="case",
                                     object_id=str(case.pk))


# --- who gets what -----------------------------------------------------------------------------


def test_the_owner_gets_the_whole_file_with_the_subjects_name(net):
    w = net.world
    response = signed_in(w.fr_caseworker).get(url(net.case))
    text = " ".join(pages_of(response))
    assert net.case.reference in text
    assert net.case.subject.reference in text
    assert FULL_NAME in text
    assert LABEL in text
    assert SUMMARY in text
    for planted in OWNER_TEXT:
        assert planted in text
    assert "attachment" in response["Content-Disposition"]
    assert net.case.reference in response["Content-Disposition"]
    assert response["X-TLP"] == LABEL
    assert "no-store" in response["Cache-Control"]


def test_the_file_holds_the_record(net):
    text = text_for(net.world.fr_caseworker, net.case)
    for heading in ("States and legal basis", "Offences", "Status history", "Assurances",
                    "Proceedings", "Follow-ups", "Findings"):
        assert heading in text
    assert net.case.requesting_state.name in text
    assert "Monitoring active" in text or net.case.get_status_display() in text
    assert "First private visit" in text
    assert "Access: Granted" in text
    assert "No torture" in text or "Complied" in text


@pytest.mark.parametrize("personal", ["0", "false", "off", ""])
def test_without_personal_data_the_owner_gets_no_name_nor_free_text(net, personal):
    text = text_for(net.world.fr_caseworker, net.case, personal=personal)
    assert net.case.reference in text and net.case.subject.reference in text
    assert FULL_NAME not in text
    assert SUMMARY not in text
    for planted in OWNER_TEXT:
        assert planted not in text
    assert "Personal data left out" in text


def test_a_sharing_partner_gets_the_file_without_identifiers(net):
    text = text_for(net.world.de_caseworker, net.case)
    assert net.case.reference in text and net.case.subject.reference in text
    assert LABEL in text
    assert FULL_NAME not in text
    assert SUMMARY not in text
    for planted in OWNER_TEXT:
        assert planted not in text


def test_an_auditor_of_the_owner_gets_the_pseudonym_only(net):
    text = text_for(net.world.fr_auditor, net.case)
    assert net.case.subject.reference in text
    assert FULL_NAME not in text


@pytest.mark.parametrize("actor", ["it_caseworker", "it_admin"])
def test_an_outsider_gets_404(net, actor):
    response = signed_in(getattr(net.world, actor)).get(url(net.case))
    assert response.status_code == 404
    assert not exports_of(net.case).exists()


def test_a_partner_who_lost_access_gets_404(net):
    w = net.world
    assert signed_in(w.de_caseworker).get(url(net.case)).status_code == 200
    Case.objects.filter(pk=net.case.pk).update(distribution=Distribution.ORGANISATION,
                                               sharing_group=None)
    assert signed_in(w.de_caseworker).get(url(net.case)).status_code == 404


def test_no_such_case_is_404_and_the_anonymous_are_sent_to_sign_in(net):
    other = reverse("reporting:case_file", kwargs={"pk": "00000000-0000-0000-0000-000000000000"})
    assert signed_in(net.world.fr_caseworker).get(other).status_code == 404
    response = signed_in(None).get(url(net.case))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- the label on every page ------------------------------------------------------------------


def test_the_label_is_on_every_page_of_a_long_file(net):
    for _ in range(70):
        ProceedingFactory(case=net.case)
    pages = pages_of(signed_in(net.world.fr_caseworker).get(url(net.case)))
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert LABEL in page, number
        assert net.case.reference in page, number
        assert f"Page {number} of {len(pages)}" in page


# --- the audit log --------------------------------------------------------------------------


def test_each_file_is_an_audit_event_without_a_name(net):
    w = net.world
    signed_in(w.fr_caseworker).get(url(net.case))
    signed_in(w.fr_caseworker).get(url(net.case, personal=0))
    signed_in(w.de_caseworker).get(url(net.case))
    events = list(exports_of(net.case).order_by("seq"))
    assert [e.actor_username for e in events] == ["fr_caseworker", "fr_caseworker",
                                                  "de_caseworker"]
    assert [e.detail["identifiers"] for e in events] == [True, False, False]
    assert {e.detail["kind"] for e in events} == {"case_file"}
    assert {e.object_repr for e in events} == {net.case.reference}
    assert {e.organisation_id for e in events} == {w.ngo_fr.pk}
    for event in AuditEvent.objects.all():
        assert FULL_NAME not in f"{event.object_repr} {event.detail} {event.changed_fields}"
    # Only the owner's full file showed who the subject is.
    views = AuditEvent.objects.filter(action=Action.VIEW_PERSONAL_DATA,
                                      object_id=str(net.case.subject.pk))
    assert list(views.values_list("actor_username", flat=True)) == ["fr_caseworker"]


# --- language -------------------------------------------------------------------------------


def test_dates_are_in_the_readers_language(net):
    client = signed_in(net.world.fr_caseworker)
    english = " ".join(pages_of(client.get(url(net.case), HTTP_ACCEPT_LANGUAGE="en")))
    assert "5 Mar 2026" in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    french = " ".join(pages_of(client.get(url(net.case))))
    assert "5 mars 2026" in french
    assert "Mar 2026" not in french


# --- the printed page -----------------------------------------------------------------------


def test_the_case_page_links_the_print_stylesheet_and_the_file(net):
    page = signed_in(net.world.fr_caseworker).get(
        reverse("cases:case_detail", kwargs={"pk": net.case.pk})).content.decode()
    assert re.search(r'<link rel="stylesheet" href="[^"]*/css/print[^"]*\.css" media="print">',
                     page)
    assert f'href="{url(net.case)}"' in page
    assert f'href="{url(net.case, personal=0)}"' in page


def test_the_print_stylesheet_hides_the_controls_and_prints_the_label_in_colour():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "print.css").read_text()
    assert "print-color-adjust: exact" in css and "-webkit-print-color-adjust: exact" in css
    assert "position: fixed" in css
    for hidden in ("nav", "form", "button", ".actions"):
        assert re.search(rf"(^|[\s,]){re.escape(hidden)}[\s,{{]", css), hidden
    assert "text-decoration: none" in css
