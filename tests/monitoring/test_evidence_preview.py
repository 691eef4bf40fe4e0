"""Evidence opened from the web pages: images and PDFs drawn on the server as PNGs for the
owning organisation, every page seen and every download audited; partners see that a check's
files exist, never what they hold; outsiders, partners and those who lost their membership get
404, an erased file 410, and a damaged one a message instead of an error.

ngo_fr owns a GREEN case shared with ministry_de through `fr_de_group` (the fixture of
tests/web/test_web_monitoring.py); ngo_it is the outsider. The clock is frozen.
"""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter

from cases.models import AuditEvent, Membership
from cases.views.base import CASE_PANELS
from monitoring import evidence_files, services
from monitoring.erasure import on_subject_erased
from monitoring.models import Evidence

from .. import evidence_samples as samples
from ..monitoring_helpers import NOW, PDF, first_visit, freeze, upload
from ..web.test_web_monitoring import FULL_NAME, SUMMARY, shared_monitoring, signed_in

Action = AuditEvent.Action
PAGES = {"monitoring:evidence_detail", "monitoring:evidence_preview",
         "monitoring:evidence_download", "monitoring:case_evidence"}
# A file name that names someone: never shown to partners, never written to the audit log.
NAMED_FILE = "visit-Zhou-Planted-Fullname.jpg"


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


@pytest.fixture
def net(world, media):
    return shared_monitoring(world)


def pdf(pages: int = 3, size=(200, 100)) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=size[0], height=size[1])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stored(net, name: str, content: bytes, **options) -> Evidence:
    return services.evidence_upload(actor=net.world.fr_caseworker, report=net.report,
                                    file=upload(name, content), **options)


def detail(evidence) -> str:
    return reverse("monitoring:evidence_detail", args=[evidence.pk])


def preview(evidence, page: int = 1) -> str:
    return reverse("monitoring:evidence_preview", args=[evidence.pk, page])


def download(evidence) -> str:
    return reverse("monitoring:evidence_download", args=[evidence.pk])


def events(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def png_of(response) -> Image.Image:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.format == "PNG"
    return image


# --- the owner sees ---------------------------------------------------------------------------


def test_the_owner_sees_an_image_redrawn_without_its_metadata(net):
    photo = samples.image("JPEG", size=(2400, 1200), gps=True)
    evidence = stored(net, NAMED_FILE, photo, keep_location=True)
    client = signed_in(net.world.fr_liaison)
    page = client.get(detail(evidence)).content.decode()
    assert f'src="{preview(evidence)}"' in page and download(evidence) in page
    image = png_of(client.get(preview(evidence)))
    # Bounded, upright, and without the camera's EXIF or its kept location.
    assert image.size == (evidence_files.PREVIEW_SIDE, evidence_files.PREVIEW_SIDE // 2)
    assert not image.getexif() and not image.info.get("exif") and "xmp" not in image.info
    (event,) = events(Action.EVIDENCE_VIEW)
    assert (event.actor, event.object_id) == (net.world.fr_liaison, str(evidence.pk))
    assert event.detail == {"sha256": evidence.sha256, "page": 1}


def test_an_image_is_turned_upright():
    sideways = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    out = io.BytesIO()
    sideways.save(out, "JPEG", exif=exif)
    drawn = Image.open(io.BytesIO(evidence_files.preview_png("image/jpeg", out.getvalue(), 1)))
    assert drawn.size == (20, 40)


def test_the_owner_sees_a_pdf_page_by_page(net):
    evidence = stored(net, "medical-report.pdf", pdf(3))
    client = signed_in(net.world.fr_caseworker)
    page = client.get(detail(evidence)).content.decode()
    for number in (1, 2, 3):
        assert f'src="{preview(evidence, number)}"' in page
        assert png_of(client.get(preview(evidence, number))).size == (800, 400)
    assert preview(evidence, 4) not in page
    assert client.get(preview(evidence, 4)).status_code == 404
    assert client.get(preview(evidence, 0)).status_code == 404
    assert [e.detail["page"] for e in events(Action.EVIDENCE_VIEW)] == [1, 2, 3]


def test_a_long_pdf_shows_its_first_pages_and_says_so(net):
    evidence = stored(net, "file.pdf", pdf(evidence_files.PREVIEW_PAGES + 5))
    client = signed_in(net.world.fr_caseworker)
    page = client.get(detail(evidence)).content.decode()
    assert page.count("<img ") == evidence_files.PREVIEW_PAGES
    assert "Only the first 20 of 25 pages are shown" in page
    assert client.get(preview(evidence, evidence_files.PREVIEW_PAGES + 1)).status_code == 404


def test_a_huge_pdf_page_is_drawn_at_a_bounded_size():
    drawn = evidence_files.preview_png("application/pdf", pdf(1, size=(14400, 14400)), 1)
    assert Image.open(io.BytesIO(drawn)).size == (1600, 1600)
    tiny = evidence_files.preview_png("application/pdf", pdf(1, size=(10, 5)), 1)
    # A small page is enlarged only so far (4 pixels a point).
    assert Image.open(io.BytesIO(tiny)).size == (40, 20)


def test_a_decompression_bomb_is_not_decoded():
    bomb = Image.new("1", (20000, 20000))
    out = io.BytesIO()
    bomb.save(out, "PNG")
    with pytest.raises(evidence_files.Unpreviewable):
        evidence_files.preview_pages("image/png", out.getvalue())
    with pytest.raises(evidence_files.Unpreviewable):
        evidence_files.preview_png("image/png", out.getvalue(), 1)


def test_the_download_is_an_attachment_and_audited(net):
    evidence = stored(net, "notes.txt", b"Seen in good health.")
    client = signed_in(net.world.fr_auditor)
    page = client.get(detail(evidence)).content.decode()
    assert "Only images and PDFs are shown here" in page and "<img " not in page
    assert client.get(preview(evidence)).status_code == 404
    response = client.get(download(evidence))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == b"Seen in good health."
    (event,) = events(Action.EVIDENCE_DOWNLOAD)
    assert event.actor == net.world.fr_auditor and event.detail == {"sha256": evidence.sha256}
    assert not events(Action.EVIDENCE_VIEW)


def test_the_audit_log_holds_ids_and_hashes_never_names(net):
    evidence = stored(net, NAMED_FILE, samples.image("JPEG"))
    client = signed_in(net.world.fr_caseworker)
    png_of(client.get(preview(evidence)))
    assert client.get(download(evidence)).status_code == 200
    written = events(Action.EVIDENCE_VIEW) + events(Action.EVIDENCE_DOWNLOAD)
    assert len(written) == 2
    for event in written:
        text = event.canonical().decode()
        assert NAMED_FILE not in text and FULL_NAME not in text and "Zhou" not in text
        assert event.organisation_id == net.case.owner_id


# --- a damaged file ---------------------------------------------------------------------------


def test_a_damaged_pdf_says_it_cannot_be_previewed(net):
    # A PDF signature over a body PDFium cannot read: accepted on upload, drawn by nothing.
    evidence = stored(net, "broken.pdf", PDF)
    client = signed_in(net.world.fr_caseworker)
    response = client.get(detail(evidence))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This file cannot be previewed; download it instead." in page
    assert "<img " not in page and download(evidence) in page
    response = client.get(preview(evidence))
    assert response.status_code == 422
    assert "cannot be previewed" in response.content.decode()
    assert not events(Action.EVIDENCE_VIEW)


def test_a_damaged_image_says_it_cannot_be_previewed(net, media):
    evidence = stored(net, "photo.png", samples.image("PNG"))
    (media / evidence.file.name).write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    client = signed_in(net.world.fr_caseworker)
    response = client.get(detail(evidence))
    assert response.status_code == 200
    assert "This file cannot be previewed; download it instead." in response.content.decode()
    assert client.get(preview(evidence)).status_code == 422


# --- who may not ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["de_caseworker", "de_liaison", "de_admin", "it_caseworker",
                                 "it_admin"])
def test_partners_and_outsiders_get_404(net, who):
    evidence = stored(net, "photo.jpg", samples.image("JPEG"))
    client = signed_in(getattr(net.world, who))
    for url in (detail(evidence), preview(evidence), download(evidence)):
        assert client.get(url).status_code == 404, url
    assert not events(Action.EVIDENCE_VIEW) and not events(Action.EVIDENCE_DOWNLOAD)


def test_anonymous_is_sent_to_sign_in(net):
    evidence = stored(net, "photo.jpg", samples.image("JPEG"))
    for url in (detail(evidence), preview(evidence), download(evidence),
                reverse("monitoring:case_evidence", args=[net.case.pk])):
        response = signed_in(None).get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/")


def test_a_member_who_leaves_the_owner_gets_404(net):
    evidence = stored(net, "photo.jpg", samples.image("JPEG"))
    client = signed_in(net.world.fr_caseworker)
    assert client.get(preview(evidence)).status_code == 200
    # Moved to another organisation: still signed in, no longer the owner's.
    Membership.objects.create(user=net.world.fr_caseworker, organisation=net.world.ngo_it,
                              role=Membership.Role.CASEWORKER)
    Membership.objects.filter(user=net.world.fr_caseworker, organisation=net.world.ngo_fr).delete()
    for url in (detail(evidence), preview(evidence), download(evidence)):
        assert client.get(url).status_code == 404, url


def test_an_erased_file_is_gone(net, django_capture_on_commit_callbacks):
    evidence = stored(net, "photo.jpg", samples.image("JPEG"))
    with django_capture_on_commit_callbacks(execute=True):
        on_subject_erased(None, subject=net.case.subject, cases=[net.case], at=NOW)
    client = signed_in(net.world.fr_caseworker)
    for url in (detail(evidence), preview(evidence), download(evidence)):
        assert client.get(url).status_code == 410, url
    assert "deleted when its subject" in client.get(detail(evidence)).content.decode()
    # A partner still gets 404: it never learns more than that the file existed.
    assert signed_in(net.world.de_caseworker).get(preview(evidence)).status_code == 404


# --- the pages that lead to it ----------------------------------------------------------------


def test_the_check_the_finding_and_the_case_link_the_owner_to_the_file(net):
    evidence = stored(net, NAMED_FILE, samples.image("JPEG"))
    client = signed_in(net.world.fr_caseworker)
    case_list = reverse("monitoring:case_evidence", args=[net.case.pk])
    pages = {
        "check": client.get(f"/follow-ups/{first_visit(net.case).pk}/").content.decode(),
        "finding": client.get(f"/findings/{net.finding.pk}/").content.decode(),
        "case list": client.get(case_list).content.decode(),
    }
    for name, page in pages.items():
        assert detail(evidence) in page and download(evidence) in page, name
        assert NAMED_FILE in page, name
    assert case_list in client.get(f"/cases/{net.case.pk}/").content.decode()
    # The detail page draws the picture.
    assert preview(evidence) in client.get(detail(evidence)).content.decode()


def test_the_reports_panel_links_to_the_case_evidence(net):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = net.world.fr_caseworker
    panel = next(p for p in CASE_PANELS if p.template == "monitoring/panels/findings.html")
    html = render_to_string(panel.template, {"case": net.case, **panel.context(request, net.case)})
    assert reverse("monitoring:case_evidence", args=[net.case.pk]) in html


def test_a_partner_sees_that_evidence_exists_and_nothing_of_it(net):
    w = net.world
    evidence = stored(net, NAMED_FILE, samples.image("JPEG"))
    client = signed_in(w.de_caseworker)
    pages = [client.get(f"/follow-ups/{first_visit(net.case).pk}/"),
             client.get(f"/findings/{net.finding.pk}/"),
             client.get(reverse("monitoring:case_evidence", args=[net.case.pk]))]
    for response in pages:
        assert response.status_code == 200
        page = response.content.decode()
        assert evidence.sha256 in page and "image/jpeg" in page
        for hidden in (NAMED_FILE, detail(evidence), preview(evidence), download(evidence),
                       SUMMARY, FULL_NAME):
            assert hidden not in page
    # The summary only once the owner shares it.
    services.finding_share(actor=w.fr_caseworker, finding=net.finding, version=net.finding.version,
                           distribution=net.finding.distribution, sharing_group=w.fr_de_group,
                           summary_shareable=True)
    assert SUMMARY in client.get(f"/findings/{net.finding.pk}/").content.decode()


def test_an_outsider_sees_no_list_of_the_case(net):
    stored(net, "photo.jpg", samples.image("JPEG"))
    url = reverse("monitoring:case_evidence", args=[net.case.pk])
    assert signed_in(net.world.it_caseworker).get(url).status_code == 404
