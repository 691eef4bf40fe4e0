"""Evidence files (issue 11): accepted by an explicit list of types, each verified by its
content; markup, macros and everything else refused with a message naming the accepted types
in words; images stored without their location unless the uploader keeps it on purpose.

Every file here is real (tests/evidence_samples.py). ngo_fr owns the case; the clock is frozen.
"""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import ExifTags, Image

from monitoring import evidence_files
from monitoring.models import Evidence, FollowUp

from .. import evidence_samples as samples
from ..conftest import api_client
from ..monitoring_helpers import (
    DAY,
    ELF,
    HOUR,
    NOW,
    PDF,
    TODAY,
    ZIP,
    first_visit,
    freeze,
    monitored_case,
    snapshot,
    submit,
    upload,
)

# How a refusal names what is accepted: in words, never in MIME types.
ACCEPTED_IN_WORDS = "PDF; JPEG, PNG or WebP image; plain text (UTF-8, without markup)"
PLACES = (b"Paris", b"Rue Planted", b"GPSLatitude", b"48,51.35N")


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


@pytest.fixture
def report(world, media):
    case = monitored_case(world, surrender=TODAY - 5 * DAY)
    return submit(world, first_visit(case), checked_at=NOW - HOUR)


def post(world, report, name: str, content: bytes, **extra):
    # The client's type is a lie each time: only the content counts.
    return api_client(world.fr_caseworker).post("/api/v1/evidence/", {
        "report": str(report.pk), "file": upload(name, content, "application/x-anything"),
        **extra,
    }, format="multipart")


def stored(evidence_id) -> bytes:
    evidence = Evidence.objects.get(pk=evidence_id)
    with evidence.file.open("rb") as file:
        return file.read()


def files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


# --- accepted by content ---------------------------------------------------------------------

ACCEPTED = [
    ("scan.bin", PDF, "application/pdf"),
    ("photo.pdf", samples.image("JPEG"), "image/jpeg"),
    ("photo", samples.image("PNG"), "image/png"),
    ("photo.txt", samples.image("WEBP"), "image/webp"),
    ("notes.docx", b"Seen in good health.\nVisit lasted 40 minutes.\n", "text/plain"),
    ("notes.txt", "\ufeffNotes: température < 38, pouls > 60; écrit à "
                  "<visitor@example.org>; I <3 my family\n".encode(), "text/plain"),
    ("report.pdf", samples.docx(), "application/vnd.openxmlformats-officedocument."
                                   "wordprocessingml.document"),
    ("report", samples.odt(), "application/vnd.oasis.opendocument.text"),
    *[(f"interview.{kind.split('/')[1]}", data, kind) for kind, data in samples.MEDIA.items()],
]


@pytest.mark.parametrize("name, content, verified", ACCEPTED,
                         ids=[f"{v}:{n}" for n, _c, v in ACCEPTED])
def test_each_accepted_type_is_stored_with_the_type_its_content_verifies(
    world, report, name, content, verified
):
    response = post(world, report, name, content)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["content_type"] == verified
    assert data["original_name"] == name
    assert data["sha256"] == hashlib.sha256(stored(data["id"])).hexdigest()


# --- refused ---------------------------------------------------------------------------------

SCRIPT = b"<script>fetch('/api/v1/subjects/').then(r => r.text()).then(alert)</script>"
MARKUP = [
    ("visit.pdf", b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>"),
    ("scan.pdf", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'),
    ("data.pdf", b'<?xml version="1.0"?><report><visit/></report>'),
    ("notes.txt", b"Seen on Monday.\nAll well.\n" + SCRIPT + b"\n"),
    ("notes.txt", b"Quiet visit <img src=x onerror=alert(1)> nothing else"),
    ("notes.txt", b"Comment: <!-- hidden --> done"),
    ("notes.txt", b"Data: <![CDATA[ x ]]>"),
    ("notes.txt", b"   \n<svg:svg xmlns:svg='http://www.w3.org/2000/svg'/>"),
    # A section the parser gives up on (it raises an AssertionError of its own).
    ("notes.txt", b"Said: <![A\nnothing more"),
]


@pytest.mark.parametrize("name, content", MARKUP)
def test_html_svg_or_xml_is_refused_whatever_its_name_and_nothing_is_stored(
    world, report, media, name, content
):
    before = snapshot()

    response = post(world, report, name, content)

    assert response.status_code == 400, response.content
    (message,) = response.json()["file"]
    assert "markup" in message and ACCEPTED_IN_WORDS in message
    assert snapshot() == before and files_in(media) == []


@pytest.mark.parametrize("before", [64 * 1024 - 3, 64 * 1024 - 1, 2 * 64 * 1024 + 7])
def test_a_tag_across_two_chunks_of_a_large_text_is_found(before):
    # Past the in-memory limit a file is read 64 KiB at a time; the tag straddles two reads.
    text = b"x" * before + b"<svg onload=alert(1)>" + b" y" * 40_000
    large = TemporaryUploadedFile("notes.txt", "text/plain", len(text), None)
    large.write(text)
    with pytest.raises(evidence_files.Refused, match="markup"):
        evidence_files.check(large)
    large.close()


def test_twenty_megabytes_of_angle_brackets_are_read_in_a_moment():
    # What html.parser took 40 s of CPU over: no markup, and no stall of the request.
    brackets = TemporaryUploadedFile("lt.txt", "text/plain", 20 * 1024 * 1024, None)
    brackets.write(b"<" * (20 * 1024 * 1024))
    started = time.monotonic()
    assert evidence_files.check(brackets).content_type == "text/plain"
    assert time.monotonic() - started < 10
    brackets.close()


def _zip_truncated() -> bytes:
    document = samples.docx()
    return document[: len(document) // 2]


REFUSED = [
    ("archive.zip", samples.archive(), "not accepted"),
    ("header-only.docx", ZIP, "damaged"),
    ("program", ELF, "not accepted"),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "not accepted"),
    ("iphone.heic", samples.iso_media(b"heic", b"mif1", b"heic"), "not accepted"),
    ("latin1.txt", "Visite à Paris".encode("latin-1"), "not accepted"),
    ("utf16.txt", "Visit".encode("utf-16"), "not accepted"),
    ("nul.txt", b"Visit\x00report", "not accepted"),
    ("sheet.docx", samples.docx(main_type="application/vnd.openxmlformats-officedocument."
                                          "spreadsheetml.sheet.main+xml"), "not accepted"),
    ("slides.odt", samples.odt(mimetype="application/vnd.oasis.opendocument.presentation"),
     "not accepted"),
    ("macro.docx", samples.docx(main_type=samples.DOCM_MAIN), "macros"),
    ("vba.docx", samples.docx(macros=True), "macros"),
    ("template.docx", samples.docx(remote_template=True), "macros"),
    ("basic.odt", samples.odt(basic_macro=True), "macros"),
    ("onload.odt", samples.odt(runs_on_open=True), "macros"),
    ("cut.docx", _zip_truncated(), "damaged"),
    ("offset.docx", samples.docx_with_a_bad_directory_offset(), "damaged"),
    ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged"),
]


@pytest.mark.parametrize("name, content, reason", REFUSED, ids=[r[0] for r in REFUSED])
def test_other_types_macros_and_damaged_files_are_refused_naming_the_accepted_types(
    world, report, media, name, content, reason
):
    before = snapshot()

    response = post(world, report, name, content)

    assert response.status_code == 400, response.content
    (message,) = response.json()["file"]
    assert reason in message and ACCEPTED_IN_WORDS in message
    assert "application/" not in message and "image/" not in message
    assert snapshot() == before and files_in(media) == []


# --- location in images ----------------------------------------------------------------------


def gps_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as picture:
        return dict(picture.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def camera_of(data: bytes) -> tuple:
    with Image.open(io.BytesIO(data)) as picture:
        exif = picture.getexif()
        return exif.get(ExifTags.Base.Make), exif.get(ExifTags.Base.Model)


# The compressed picture, which removing the location must leave byte for byte as it was.
PICTURE = {
    "JPEG": samples.jpeg_scan,
    "PNG": lambda data: samples.png_chunks(data, b"IDAT"),
    "WEBP": lambda data: samples.riff_chunks(data, b"VP8 ") + samples.riff_chunks(data, b"VP8L"),
}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_gps_position_is_removed_and_the_picture_left_as_it_was(world, report, fmt):
    sent = samples.image(fmt, gps=True, xmp=True)
    assert gps_of(sent) and all(place in sent for place in PLACES[:3])

    response = post(world, report, f"visit.{fmt.lower()}", sent)

    assert response.status_code == 201, response.content
    data = response.json()
    kept = stored(data["id"])
    assert data["location_data"] == Evidence.LocationData.REMOVED
    assert gps_of(kept) == {}
    assert not any(place in kept for place in PLACES)
    # Only the places go: the camera and the author stay, and the pixels are not re-encoded.
    assert camera_of(kept) == ("PhoneCo", "Visit camera 2")
    assert b"Consular visitor" in kept
    assert PICTURE[fmt](kept) == PICTURE[fmt](sent) and PICTURE[fmt](sent)
    assert (data["sha256"], data["size"]) == (hashlib.sha256(kept).hexdigest(), len(kept))


def test_an_iptc_city_is_removed_from_a_jpeg(world, report):
    sent = samples.jpeg_with_iptc_city(b"Planted-City")
    response = post(world, report, "visit.jpg", sent)
    assert response.status_code == 201, response.content
    assert response.json()["location_data"] == Evidence.LocationData.REMOVED
    assert b"Planted-City" not in stored(response.json()["id"])


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_location_is_kept_only_when_the_uploader_asks(world, report, fmt):
    sent = samples.image(fmt, gps=True, xmp=True)

    response = post(world, report, f"place.{fmt.lower()}", sent, keep_location="true")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["location_data"] == Evidence.LocationData.KEPT
    assert stored(data["id"]) == sent


@pytest.mark.parametrize("content, keep, recorded", [
    (samples.image("JPEG"), "false", Evidence.LocationData.NONE),
    (samples.image("PNG"), "true", Evidence.LocationData.NONE),
    (PDF, "false", Evidence.LocationData.NOT_CHECKED),
])
def test_a_file_without_a_location_is_stored_as_sent_and_says_so(
    world, report, content, keep, recorded
):
    response = post(world, report, "file", content, keep_location=keep)
    assert response.status_code == 201, response.content
    assert response.json()["location_data"] == recorded
    assert stored(response.json()["id"]) == content


# --- the web form ----------------------------------------------------------------------------


def _report_form(world, case) -> tuple[Client, str, dict]:
    follow_up = FollowUp.objects.get(case=case, status=FollowUp.Status.SCHEDULED,
                                     kind=FollowUp.Kind.FIRST_VISIT)
    client = Client()
    client.force_login(world.fr_caseworker)
    data = {"checked_at": (NOW - HOUR).strftime("%Y-%m-%dT%H:%M"), "access": "granted",
            "privacy": "private", "interpreter_independent": "unknown",
            "doctor_present": "unknown"}
    return client, reverse("monitoring:follow_up_report", args=[follow_up.pk]), data


def test_the_web_form_removes_the_location_unless_the_box_is_ticked_and_shows_which(world, media):
    case = monitored_case(world, surrender=TODAY - 5 * DAY)
    client, url, data = _report_form(world, case)
    form = client.get(url).content.decode()
    assert 'name="keep_location"' in form and "removed from JPEG, PNG and WebP" in form
    assert ACCEPTED_IN_WORDS in form

    photo = samples.image("JPEG", gps=True)
    response = client.post(url, {**data, "evidence": [upload("cell.jpg", photo)]})

    assert response.status_code == 302, response.content.decode()[:2000]
    (evidence,) = Evidence.objects.filter(case=case)
    assert evidence.location_data == Evidence.LocationData.REMOVED
    assert gps_of(stored(evidence.pk)) == {}
    page = client.get(response["Location"]).content.decode()
    assert "Location data" in page and "Removed" in page

    later = monitored_case(world, surrender=TODAY - 5 * DAY)
    client, url, data = _report_form(world, later)
    response = client.post(url, {**data, "keep_location": "on",
                                 "evidence": [upload("place.jpg", photo)]})
    assert response.status_code == 302
    (kept,) = Evidence.objects.filter(case=later)
    assert kept.location_data == Evidence.LocationData.KEPT and stored(kept.pk) == photo
    assert "Kept on purpose" in client.get(response["Location"]).content.decode()


def test_the_web_form_refuses_markup_named_pdf_and_stores_nothing(world, media):
    case = monitored_case(world, surrender=TODAY - 5 * DAY)
    client, url, data = _report_form(world, case)
    before = snapshot()

    response = client.post(url, {**data, "evidence": [upload("visit.pdf", MARKUP[0][1])]})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_evidence_error"' in page and "visit.pdf: " in page and "markup" in page
    assert ACCEPTED_IN_WORDS in page
    assert snapshot() == before and files_in(media) == []
