import hashlib
import json
import re
import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from openpyxl import load_workbook
from pypdf import PdfReader

from cases.models import AuditEvent
from reporting.models import Export

EXPORT_ID = re.compile(rb"EM-EXPORT-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def claimed_export(path: Path) -> str | None:
    """The export id a file says it is, from its manifest, if it has one that can be read."""
    data = path.read_bytes()
    try:
        return str(json.loads(data)["manifest"]["export"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        pass
    if zipfile.is_zipfile(path):
        try:
            sheet = load_workbook(path, read_only=True)["Manifest"]
            facts = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
            return str(facts.get("export")) if facts.get("export") else None
        except Exception:  # noqa: BLE001 - an altered file may not open at all
            return None
    if data.startswith(b"%PDF"):
        try:
            keywords = (PdfReader(path).metadata or {}).get("/Keywords", "")
        except Exception:  # noqa: BLE001 - an altered file may not open at all
            return None
        match = EXPORT_ID.search(str(keywords).encode())
        return match.group(1).decode() if match else None
    return None


class Command(BaseCommand):
    help = (
        "Check whether FILE is an export this system produced, unaltered: its SHA-256 against "
        "the export's record and the audit event written when the file was made. Exits 0 when "
        "it is, 1 when it is not."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        sha = digest.hexdigest()
        export = Export.objects.select_related("requester", "organisation").filter(
            sha256=sha).first()
        if export is None:
            claimed = claimed_export(path)
            known = Export.objects.filter(pk=claimed).first() if claimed else None
            if known is not None:
                self.stderr.write(
                    f"ALTERED: the file says it is export {known.pk}, recorded with SHA-256 "
                    f"{known.sha256}, but its SHA-256 is {sha}.")
            else:
                self.stderr.write(
                    f"UNKNOWN: no export of this system has SHA-256 {sha}: the file was altered "
                    "or not produced here.")
            raise SystemExit(1)
        event = AuditEvent.objects.filter(
            action=AuditEvent.Action.EXPORT, object_type="export", object_id=str(export.pk),
            detail__sha256=sha,
        ).first()
        if event is None or event.compute_hash() != event.hash:
            self.stderr.write(
                f"UNRECORDED: export {export.pk} has this SHA-256, but the audit log holds no "
                "intact event of it being produced. Run verify_audit_chain.")
            raise SystemExit(1)
        self.stdout.write(
            f"OK: export {export.pk} ({export.kind}, {export.format}, {export.row_count} rows, "
            f"TLP {export.tlp}) produced {export.finished_at:%Y-%m-%d %H:%M:%S} UTC for "
            f"{export.requester.username} of {export.organisation.name}; SHA-256 {sha}, "
            f"recorded in audit event #{event.seq}.")
