"""An export's file as an HTTP download, the same from the API and the web pages."""

from django.http import FileResponse

from cases.models.sharing import TLP

from .formats import CONTENT_TYPES


def download(export, fh) -> FileResponse:
    """The stored file, with its SHA-256 and label in headers; never rendered by a browser."""
    response = FileResponse(fh, as_attachment=True, filename=export.file.name.rsplit("/", 1)[-1],
                            content_type=CONTENT_TYPES[export.format])
    response["X-Content-SHA256"] = export.sha256
    response["X-TLP"] = TLP(export.tlp).label
    response["X-Content-Type-Options"] = "nosniff"
    return response
