"""Where a photograph was taken, as its metadata tells: found and removed with exiv2.

exiv2 rewrites a JPEG's EXIF, XMP and IPTC segments, a PNG's metadata chunks and a WebP's
metadata chunks and copies the compressed picture as it is: removing a location never
re-encodes the pixels.
"""

from __future__ import annotations

import re

import pyexiv2

# Errors come back as exceptions; exiv2's own console lines would only be noise in the log.
pyexiv2.set_log_level(4)

# A place in XMP, IPTC or a maker's note: coordinates, a named location, city, region, country.
PLACE = re.compile(r"gps|latitude|longitude|location|city|country|province|state", re.I)
# Positions in the picture, not on the earth.
NOT_A_PLACE = {"Exif.Photo.SubjectLocation", "Exif.Image.SubjectLocation"}


class UnreadableMetadata(ValueError):
    """exiv2 could not read or rewrite the image's metadata."""


def _is_place(key: str) -> bool:
    return key.startswith("Exif.GPSInfo.") or (bool(PLACE.search(key)) and key not in NOT_A_PLACE)


def _places(image: pyexiv2.ImageData) -> dict[str, list[str]]:
    """The keys that hold a place, by kind of metadata (values are never read: a key suffices,
    and Latin-1 decodes any byte, so a maker's odd text cannot fail the reading)."""
    return {
        "exif": [k for k in image.read_exif(encoding="latin-1") if _is_place(k)],
        "xmp": [k for k in image.read_xmp(encoding="latin-1") if _is_place(k)],
        "iptc": [k for k in image.read_iptc(encoding="latin-1") if _is_place(k)],
    }


def _open(data: bytes) -> pyexiv2.ImageData:
    try:
        return pyexiv2.ImageData(data)
    except (RuntimeError, ValueError) as error:
        raise UnreadableMetadata(str(error)) from error


def has_location(data: bytes) -> bool:
    image = _open(data)
    try:
        return any(_places(image).values())
    except (RuntimeError, ValueError) as error:
        raise UnreadableMetadata(str(error)) from error
    finally:
        image.close()


def without_location(data: bytes) -> bytes | None:
    """The image with every place removed from its metadata, or None when it holds none."""
    image = _open(data)
    try:
        places = _places(image)
        if not any(places.values()):
            return None
        image.modify_exif(dict.fromkeys(places["exif"]))
        image.modify_xmp(dict.fromkeys(places["xmp"]))
        image.modify_iptc(dict.fromkeys(places["iptc"]))
        stripped = image.get_bytes()
    except (RuntimeError, ValueError) as error:
        raise UnreadableMetadata(str(error)) from error
    finally:
        image.close()
    # A repeated tag, or a structure that survives the removal of its fields, is not stored.
    if has_location(stripped):
        raise UnreadableMetadata("location data remained after its removal")
    return stripped
