"""Real files of each kind an uploader may send, made here: images by Pillow (with a GPS
position, XMP places or IPTC places when asked), documents by zipfile, sound by wave, and the
containers of recorded media by their published headers."""

from __future__ import annotations

import io
import struct
import wave
import zipfile

from PIL import ExifTags, Image, PngImagePlugin

# Near the Palais de Justice in Paris.
GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (48.0, 51.0, 21.0),
    ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (2.0, 20.0, 45.0),
}
CAMERA = {ExifTags.Base.Make: "PhoneCo", ExifTags.Base.Model: "Visit camera 2"}
XMP_PLACES = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/"
 xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
 exif:GPSLatitude="48,51.35N" exif:GPSLongitude="2,20.75E" photoshop:City="Paris"
 photoshop:Country="France">
<dc:creator><rdf:Seq><rdf:li>Consular visitor</rdf:li></rdf:Seq></dc:creator>
<Iptc4xmpExt:LocationShown><rdf:Bag><rdf:li rdf:parseType="Resource">
<Iptc4xmpExt:Sublocation>Rue Planted</Iptc4xmpExt:Sublocation></rdf:li></rdf:Bag>
</Iptc4xmpExt:LocationShown>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def image(fmt: str, *, size=(64, 48), gps: bool = False, xmp: bool = False) -> bytes:
    """A picture in `fmt` (JPEG, PNG, WEBP) with a camera's EXIF, and a GPS position or XMP
    places when asked."""
    picture = Image.new("RGB", size, (180, 40, 40))
    for x in range(0, size[0], 4):
        picture.putpixel((x, x % size[1]), (20, 20, 200))
    exif = Image.Exif()
    exif.update(CAMERA)
    if gps:
        exif[ExifTags.IFD.GPSInfo] = GPS
    options: dict = {"exif": exif}
    if xmp and fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP_PLACES)
        options["pnginfo"] = info
    elif xmp:
        options["xmp"] = XMP_PLACES.encode()
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg_with_iptc_city(city: bytes = b"Paris") -> bytes:
    """A JPEG whose Photoshop (APP13) segment holds IPTC's City (2:90), as news cameras write."""
    dataset = b"\x1c\x02\x5a" + struct.pack(">H", len(city)) + city
    if len(dataset) % 2:
        dataset += b"\x00"
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(dataset)) + dataset
    payload = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    plain = image("JPEG")
    return plain[:2] + segment + plain[2:]


def jpeg_scan(data: bytes) -> bytes:
    """The compressed picture of a JPEG: everything from its start-of-scan marker on."""
    return data[data.index(b"\xff\xda"):]


def png_chunks(data: bytes, kind: bytes) -> list[bytes]:
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        if data[at + 4:at + 8] == kind:
            chunks.append(data[at + 8:at + 8 + length])
        at += 12 + length
    return chunks


def riff_chunks(data: bytes, kind: bytes) -> list[bytes]:
    chunks, at = [], 12
    while at < len(data):
        tag, (length,) = data[at:at + 4], struct.unpack("<I", data[at + 4:at + 8])
        if tag == kind:
            chunks.append(data[at + 8:at + 8 + length])
        at += 8 + length + (length % 2)
    return chunks


# --- documents -------------------------------------------------------------------------------

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORD_BODY = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
             "<w:body><w:p><w:r><w:t>Visit report</w:t></w:r></w:p></w:body></w:document>")


def _zip(parts: list[tuple[str, str | bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, content) in enumerate(parts):
            method = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=method)
    return buffer.getvalue()


def archive() -> bytes:
    return _zip([("payload.txt", "a plain archive")])


def docx(*, main_type: str = DOCX_MAIN, macros: bool = False,
         remote_template: bool = False) -> bytes:
    overrides = f'<Override PartName="/word/document.xml" ContentType="{main_type}"/>'
    parts = [("word/document.xml", WORD_BODY)]
    if macros:
        overrides += ('<Override PartName="/word/vbaProject.bin" '
                      'ContentType="application/vnd.ms-office.vbaProject"/>')
        parts.append(("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro storage"))
    if remote_template:
        overrides += ('<Override PartName="/word/settings.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>')
        parts += [
            ("word/settings.xml", '<w:settings xmlns:w="http://schemas.openxmlformats.org/'
                                  'wordprocessingml/2006/main"/>'),
            ("word/_rels/settings.xml.rels",
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
             f'relationships"><Relationship Id="rId1" Type="{RELS}/attachedTemplate" '
             'Target="https://templates.example.org/t.dotm" TargetMode="External"/>'
             "</Relationships>"),
        ]
    types = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
             f"{overrides}</Types>")
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="word/document.xml"/>'
            "</Relationships>")
    return _zip([("[Content_Types].xml", types), ("_rels/.rels", rels), *parts])


def docx_with_a_bad_directory_offset() -> bytes:
    """A DOCX whose end record puts the central directory further than it is: zipfile then
    seeks before the start of the file (a ValueError, not a BadZipFile)."""
    document = bytearray(docx())
    end = document.rindex(b"PK\x05\x06")
    (offset,) = struct.unpack("<I", document[end + 16:end + 20])
    document[end + 16:end + 20] = struct.pack("<I", offset + 100_000)
    return bytes(document)


ODT = "application/vnd.oasis.opendocument.text"
ODF_CONTENT = ('<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:'
               'office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
               'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0" '
               'xmlns:xlink="http://www.w3.org/1999/xlink" office:version="1.3">'
               "{scripts}<office:body><office:text><text:p>Visit report</text:p>"
               "</office:text></office:body></office:document-content>")
ON_OPEN = ('<office:scripts><office:event-listeners><script:event-listener '
           'script:language="ooo:script" script:event-name="dom:load" '
           'xlink:href="vnd.sun.star.script:Standard.Module1.Main?language=Basic&amp;'
           'location=document"/></office:event-listeners></office:scripts>')


def odt(*, mimetype: str = ODT, basic_macro: bool = False, runs_on_open: bool = False) -> bytes:
    manifest = ('<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
                'manifest:1.0" manifest:version="1.3">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>')
    parts = [("mimetype", mimetype), ("META-INF/manifest.xml", manifest),
             ("content.xml", ODF_CONTENT.format(scripts=ON_OPEN if runs_on_open else ""))]
    if basic_macro:
        parts.append(("Basic/Standard/Module1.xml", "Sub Main\nShell(\"calc\")\nEnd Sub"))
    return _zip(parts, stored_first=True)


# --- sound and video -------------------------------------------------------------------------


def wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x01" * 800)
    return buffer.getvalue()


def iso_media(major: bytes, *compatible: bytes) -> bytes:
    """An ISO base media file (MP4, M4A, MOV, 3GP): its `ftyp` box, then an empty `moov`."""
    brands = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    ftyp = struct.pack(">I", 8 + len(brands)) + b"ftyp" + brands
    return ftyp + struct.pack(">I", 8) + b"moov" + b"\x00" * 64


MEDIA = {
    # An ID3v2 tag, then an MPEG-1 Layer III frame header.
    "audio/mpeg": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 400,
    "audio/mp4": iso_media(b"M4A ", b"M4A ", b"mp42", b"isom"),
    "audio/aac": b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 64,
    "audio/wav": wav(),
    "audio/ogg": b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13OpusHead\x01\x01" + b"\x00" * 40,
    "audio/flac": b"fLaC\x00\x00\x00\x22" + b"\x00" * 60,
    "audio/amr": b"#!AMR\n" + b"\x3c" + b"\x00" * 40,
    "video/mp4": iso_media(b"isom", b"isom", b"iso2", b"mp41"),
    "video/quicktime": iso_media(b"qt  ", b"qt  "),
    "video/3gpp": iso_media(b"3gp4", b"3gp4", b"3gp5"),
    "video/webm": (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04"
                   b"\x42\xf3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02"
                   + b"\x00" * 64),
}
