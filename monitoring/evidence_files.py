"""Which evidence files are accepted, each verified by its content, never by its name or the
type the client sends: an explicit list of types, and everything else refused.

- PDF, and the audio and video formats interviews are recorded in, by their signature;
- JPEG, PNG and WebP images, read by Pillow as what their signature says, with their location
  removed (`image_location`) unless the uploader keeps it on purpose;
- plain text: UTF-8 throughout, and no HTML, SVG or XML markup anywhere in it;
- DOCX and ODT: the ZIP's structure, its declared content type, and no macros.

Images and PDFs are also shown to the owner as pictures drawn here (`preview_png`): a PNG of
bounded size, re-encoded without metadata, so nothing the file holds runs in a browser.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import threading
import warnings
import xml.etree.ElementTree as ET  # noqa: S405 (Expat >= 2.4.1 refuses entity expansion bombs)
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import filetype
import pypdfium2 as pdfium
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, UnidentifiedImageError

from . import image_location
from .models import Evidence

LocationData = Evidence.LocationData

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
# The type filetype reads from the signature, and the type stored.
SIGNED = {
    "application/pdf": "application/pdf",
    "audio/mpeg": "audio/mpeg",
    "audio/mp4": "audio/mp4",
    "audio/aac": "audio/aac",
    "audio/x-wav": "audio/wav",
    "audio/ogg": "audio/ogg",
    "audio/x-flac": "audio/flac",
    "audio/amr": "audio/amr",
    "video/mp4": "video/mp4",
    "video/webm": "video/webm",
    "video/quicktime": "video/quicktime",
    "video/3gpp": "video/3gpp",
}
IMAGES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
ZIP_SIGNATURE = b"PK\x03\x04"
# A package's index (its content types, relationships, manifest) is read whole: a larger one is
# not a text document's. Its text is read as a stream.
MAX_INDEX_BYTES = 1024 * 1024
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024


ACCEPTED_TYPES = gettext_lazy(
    "PDF; JPEG, PNG or WebP image; plain text (UTF-8, without markup); Word (DOCX) or "
    "OpenDocument (ODT) text without macros; MP3, M4A, AAC, WAV, Ogg, Opus, FLAC or AMR audio; "
    "MP4, WebM, MOV or 3GP video"
)
KEEP_LOCATION_HELP = gettext_lazy(
    "Photos often record where they were taken. Unless this is ticked, that location (GPS "
    "position, place names) is removed from JPEG, PNG and WebP images before they are stored, "
    "so that a file cannot give away where a visit, a family or a witness is. Tick it only when "
    "the place is itself evidence."
)


class ThreeGpp(filetype.Type):
    """3GP, by the major brand of its ISO media file (filetype's own matcher looks for the brand
    at the wrong offset, so it never matches a phone's recording)."""

    def __init__(self):
        super().__init__(mime="video/3gpp", extension="3gp")

    def match(self, buf: bytes) -> bool:
        return buf[4:8] == b"ftyp" and buf[8:11] in (b"3gp", b"3gr", b"3gs", b"3ge", b"3gg")


class Refused(ValueError):
    """A file that is not accepted, with the reason for the uploader."""

    def __init__(self, reason: str | None = None):
        accepted = _("Accepted: %(types)s.") % {"types": ACCEPTED_TYPES}
        super().__init__(f"{reason} {accepted}" if reason else
                         _("Files of this type are not accepted.") + f" {accepted}")


@dataclass(frozen=True)
class Checked:
    content_type: str
    location_data: str
    # The file rewritten without its location; None: stored as it was sent.
    content: bytes | None = None


def check(file: UploadedFile, *, keep_location: bool = False) -> Checked:
    """What the file is, by its content; `Refused` when it is not one of the accepted types."""
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    if head.startswith(ZIP_SIGNATURE):
        return Checked(_document_type(file), LocationData.NOT_CHECKED)
    kind = filetype.match(head, [ThreeGpp()]) or filetype.guess(head)
    if kind is None:
        _check_text(file)
        return Checked("text/plain", LocationData.NOT_CHECKED)
    if kind.mime in IMAGES:
        return _check_image(file, kind.mime, keep_location)
    if kind.mime in SIGNED:
        return Checked(SIGNED[kind.mime], LocationData.NOT_CHECKED)
    raise Refused


# --- images ----------------------------------------------------------------------------------


def _check_image(file: UploadedFile, content_type: str, keep_location: bool) -> Checked:
    data = file.read()
    file.seek(0)
    try:
        with Image.open(io.BytesIO(data), formats=[IMAGES[content_type]]) as image:
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError) as error:
        raise Refused(_("This image is damaged or is not what its first bytes say.")) from error
    try:
        if keep_location:
            kept = image_location.has_location(data)
            return Checked(content_type, LocationData.KEPT if kept else LocationData.NONE)
        stripped = image_location.without_location(data)
    except image_location.UnreadableMetadata as error:
        raise Refused(_("This image's metadata cannot be read, so its location could not be "
                        "removed.")) from error
    if stripped is None:
        return Checked(content_type, LocationData.NONE)
    return Checked(content_type, LocationData.REMOVED, stripped)


# --- plain text ------------------------------------------------------------------------------

# What opens markup: a tag or end tag whose name is an element's (perhaps with a namespace
# prefix, as svg:svg) followed by a space, "/" or ">"; a comment, CDATA or other marked section;
# a declaration (<!DOCTYPE, <!ENTITY); a processing instruction (<?xml). So "<3", "a < b" and
# "<someone@example.org>" are text. A regular expression, not html.parser: that takes 40 s of
# CPU over 20 MB of "<", this under a second, and both find the same constructs.
MARKUP = re.compile(
    r"<(?:/?[a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)?(?=[\s/>])|!--|!\[|![a-z]|\?[a-z])", re.I
)
# A construct split between two chunks is found in the next one, with this much carried over.
OVERLAP = 256


def _check_text(file: UploadedFile) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    carried = ""
    try:
        for chunk in file.chunks():
            text = carried + decoder.decode(chunk)
            if "\x00" in text:
                raise Refused
            if MARKUP.search(text):
                raise Refused(_("This text holds HTML, SVG or XML markup, which is not "
                                "accepted."))
            carried = text[-OVERLAP:]
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise Refused from None
    finally:
        file.seek(0)


# --- DOCX and ODT ----------------------------------------------------------------------------

OOXML_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
OOXML_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                   "officeDocument")
ATTACHED_TEMPLATE = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                     "attachedTemplate")
DOCX_MAIN = f"{DOCX}.main+xml"
# Parts that carry macros or controls, by content type or by name.
MACRO_TYPES = re.compile(r"macroEnabled|vbaProject|vbaData|activeX", re.I)
MACRO_PARTS = re.compile(r"(^|/)(vbaProject\.bin|vbaData\.xml|activeX[^/]*)$", re.I)
ODF_MANIFEST = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
ODF_SCRIPT = "urn:oasis:names:tc:opendocument:xmlns:script:1.0"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _macros() -> Refused:
    return Refused(_("Documents with macros are not accepted: save it without them, or as "
                     "PDF."))


def _damaged() -> Refused:
    return Refused(_("This document is damaged, or is not a Word (DOCX) or OpenDocument (ODT) "
                     "text document."))


def _document_type(file: UploadedFile) -> str:
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            if sum(info.file_size for info in infos) > MAX_UNZIPPED_BYTES:
                raise _damaged()
            # Every member decompresses with its checksum right (encrypted ones cannot).
            if archive.testzip() is not None:
                raise _damaged()
            names = {info.filename for info in infos}
            if "mimetype" in names:
                return _odt(archive, infos)
            if "[Content_Types].xml" in names:
                return _docx(archive, names)
    except Refused:
        raise
    # A damaged archive fails in many ways, a bad offset as a ValueError among them.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ET.ParseError, RuntimeError,
            NotImplementedError, EOFError, OSError, KeyError, ValueError, zlib.error):
        raise _damaged() from None
    finally:
        file.seek(0)
    raise Refused


def _xml(archive: zipfile.ZipFile, name: str) -> ET.Element:
    if archive.getinfo(name).file_size > MAX_INDEX_BYTES:
        raise _damaged()
    return ET.fromstring(archive.read(name))  # noqa: S314 (see the import)


def _docx(archive: zipfile.ZipFile, names: set[str]) -> str:
    types = _xml(archive, "[Content_Types].xml")
    defaults = {e.get("Extension", "").lower(): e.get("ContentType", "")
                for e in types.iter(f"{{{OOXML_TYPES}}}Default")}
    overrides = {e.get("PartName", "").lower(): e.get("ContentType", "")
                 for e in types.iter(f"{{{OOXML_TYPES}}}Override")}
    declared = [*defaults.values(), *overrides.values()]
    if any(MACRO_TYPES.search(t) for t in declared) or any(MACRO_PARTS.search(n) for n in names):
        raise _macros()
    main = [r.get("Target", "") for r in _relationships(archive, "_rels/.rels")
            if r.get("Type") == OFFICE_DOCUMENT]
    if len(main) != 1:
        raise _damaged()
    part = main[0].lstrip("/")
    content_type = overrides.get(f"/{part.lower()}") or defaults.get(part.rsplit(".", 1)[-1])
    if part not in names or content_type != DOCX_MAIN:
        raise Refused
    # A template fetched from elsewhere when the document opens may bring macros with it.
    settings = f"{part.rsplit('/', 1)[0]}/_rels/settings.xml.rels" if "/" in part else ""
    if settings in names and any(
        r.get("Type") == ATTACHED_TEMPLATE and r.get("TargetMode") == "External"
        for r in _relationships(archive, settings)
    ):
        raise _macros()
    return DOCX


def _relationships(archive: zipfile.ZipFile, name: str) -> list[ET.Element]:
    return list(_xml(archive, name).iter(f"{{{OOXML_RELATIONSHIPS}}}Relationship"))


def _odt(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> str:
    first = infos[0]
    # The OpenDocument package: first an uncompressed `mimetype` naming the document's type.
    if first.filename != "mimetype" or first.compress_type != zipfile.ZIP_STORED:
        raise _damaged()
    if archive.read(first).strip() != ODT.encode():
        raise Refused
    manifest = _xml(archive, "META-INF/manifest.xml")
    root = [e.get(f"{{{ODF_MANIFEST}}}media-type")
            for e in manifest.iter(f"{{{ODF_MANIFEST}}}file-entry")
            if e.get(f"{{{ODF_MANIFEST}}}full-path") == "/"]
    if root != [ODT]:
        raise _damaged()
    if any(info.filename.startswith(("Basic/", "Scripts/")) for info in infos):
        raise _macros()
    for name in ("content.xml", "styles.xml"):
        if name in archive.namelist() and _odf_runs_scripts(archive, name):
            raise _macros()
    return ODT


def _odf_runs_scripts(archive: zipfile.ZipFile, name: str) -> bool:
    """An event bound to a script, or a link that runs a macro when followed. Read as a stream,
    each element let go once read, so a long document never sits whole in memory."""
    with archive.open(name) as part:
        for event, element in ET.iterparse(part, events=("start", "end")):  # noqa: S314
            if event == "end":
                element.clear()
            elif element.tag.startswith(f"{{{ODF_SCRIPT}}}") or element.get(
                XLINK_HREF, ""
            ).startswith(("vnd.sun.star.script:", "macro:")):
                return True
    return False


# --- previews --------------------------------------------------------------------------------

PDF = "application/pdf"
PREVIEWABLE = frozenset({*IMAGES, PDF})
# The longest side of a preview, in pixels; a PDF's pages beyond the first few are not drawn.
PREVIEW_SIDE = 1600
PREVIEW_PAGES = 20
# An image of more pixels than this is not decoded at all, so one preview never holds more
# than about 200 MB (below Pillow's own bomb limit); a PDF page is never drawn at more than
# this many pixels per point.
PREVIEW_SOURCE_PIXELS = min(Image.MAX_IMAGE_PIXELS, 64_000_000)
PDF_MAX_SCALE = 4.0
# PDFium is not thread-safe: one document at a time per process.
_PDFIUM = threading.Lock()


class Unpreviewable(ValueError):
    """A file that cannot be drawn: damaged, too large, encrypted, or not an image or PDF."""


class NoSuchPage(Unpreviewable):
    """A page the file's preview does not have."""


@dataclass(frozen=True)
class Pages:
    shown: int
    total: int


def preview_pages(content_type: str, data: bytes) -> Pages:
    """How many pages a preview of the file has, and how many of them are drawn."""
    if content_type in IMAGES:
        with _opened_image(content_type, data):
            return Pages(1, 1)
    if content_type == PDF:
        with _PDFIUM:
            document = _opened_pdf(data)
            try:
                total = len(document)
            finally:
                document.close()
        if total < 1:
            raise Unpreviewable("a PDF without pages")
        return Pages(min(total, PREVIEW_PAGES), total)
    raise Unpreviewable(content_type)


def preview_png(content_type: str, data: bytes, page: int) -> bytes:
    """Page `page` (from 1) of the file drawn as a PNG no larger than `PREVIEW_SIDE`, with no
    metadata of the original (EXIF, XMP, ICC, text); `Unpreviewable` when it cannot be."""
    if content_type in IMAGES and page == 1:
        with _opened_image(content_type, data) as image:
            picture = _drawn_image(image)
    elif content_type == PDF and 1 <= page <= PREVIEW_PAGES:
        picture = _drawn_pdf_page(data, page - 1)
    elif content_type in PREVIEWABLE:
        raise NoSuchPage(f"{content_type} page {page}")
    else:
        raise Unpreviewable(content_type)
    return _png(picture)


@contextlib.contextmanager
def _opened_image(content_type: str, data: bytes) -> Iterator[Image.Image]:
    """The image, refused before it is decoded when its size makes it a decompression bomb."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[IMAGES[content_type]])
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, OSError, SyntaxError, ValueError) as error:
        raise Unpreviewable(str(error)) from error
    with image:
        width, height = image.size
        if width < 1 or height < 1 or width * height > PREVIEW_SOURCE_PIXELS:
            raise Unpreviewable(f"{width}x{height} pixels")
        yield image


def _drawn_image(image: Image.Image) -> Image.Image:
    try:
        # A JPEG decodes straight at a reduced scale: less memory for a large photograph.
        image.draft("RGB", (PREVIEW_SIDE, PREVIEW_SIDE))
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.seek(0)
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
            return upright.convert("RGBA" if "A" in upright.getbands() else "RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, SyntaxError,
            ValueError, EOFError) as error:
        raise Unpreviewable(str(error)) from error


def _opened_pdf(data: bytes) -> pdfium.PdfDocument:
    # No form environment is set up: the document's scripts and form actions never run.
    try:
        return pdfium.PdfDocument(data)
    except (pdfium.PdfiumError, ValueError, OSError) as error:
        raise Unpreviewable(str(error)) from error


def _drawn_pdf_page(data: bytes, index: int) -> Image.Image:
    with _PDFIUM:
        document = _opened_pdf(data)
        try:
            if index >= len(document):
                raise NoSuchPage(f"no page {index + 1}")
            page = document[index]
            try:
                width, height = page.get_size()
                if not (width > 0 and height > 0):
                    raise Unpreviewable("a page without an area")
                scale = min(PREVIEW_SIDE / max(width, height), PDF_MAX_SCALE)
                bitmap = page.render(scale=scale, may_draw_forms=False)
                try:
                    return bitmap.to_pil().convert("RGB")
                finally:
                    bitmap.close()
            finally:
                page.close()
        except pdfium.PdfiumError as error:
            raise Unpreviewable(str(error)) from error
        finally:
            document.close()


def _png(picture: Image.Image) -> bytes:
    # Only the pixels travel on: the metadata the original carried stays behind.
    clean = Image.new(picture.mode, picture.size)
    clean.paste(picture)
    out = io.BytesIO()
    clean.save(out, "PNG")
    return out.getvalue()
