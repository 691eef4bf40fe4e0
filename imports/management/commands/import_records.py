"""Import a CSV or XLSX file at the command line, as a member would on the import page: the
columns mapped from their headers (or a saved mapping), every row checked, and with --commit,
imported all or nothing. Runs here and now, not in a worker.

    python manage.py import_records cases.csv --user alice --kind cases
    python manage.py import_records cases.xlsx --user alice --mapping "Our register" --commit
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from cases import policy
from cases.models import Organisation
from imports import jobs, services
from imports.models import ColumnMapping, DateFormat, ImportJob, Kind


class Command(BaseCommand):
    help = "Check, and with --commit import, a CSV or XLSX file of cases, assurances or " \
           "proceedings for a member's organisation."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="The member who imports.")
        parser.add_argument("--kind", choices=Kind.values, default=Kind.CASES)
        parser.add_argument("--organisation", help="Its slug, for a member of several.")
        parser.add_argument("--mapping", help="The name of a saved mapping to apply.")
        parser.add_argument("--date-format", choices=DateFormat.values, default=None)
        parser.add_argument("--commit", action="store_true",
                            help="Import the rows if the check finds no error.")

    def handle(self, *args, file: str, user: str, kind: str, organisation: str | None,
               mapping: str | None, date_format: str | None, commit: bool, **options):
        actor = get_user_model().objects.filter(username=user, is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {user!r}.")
        org = Organisation.objects.filter(slug=organisation).first() if organisation else None
        if organisation and org is None:
            raise CommandError(f"No organisation {organisation!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file!r}.")
        try:
            saved = None
            if mapping:
                saved = policy.restrict(ColumnMapping.objects.filter(name=mapping, kind=kind),
                                        actor).first()
                if saved is None:
                    raise CommandError(f"No saved mapping {mapping!r} for {kind}.")
            with path.open("rb") as handle:
                job = services.import_upload(
                    actor=actor, organisation=org, kind=kind, mapping=saved,
                    file=File(handle, name=path.name),
                    **({"date_format": date_format} if date_format and not saved else {}))
            if date_format and saved:
                services.import_configure(actor=actor, job=job, date_format=date_format)
            self._mapping(job)
            job = jobs.run_job(job.pk, False, actor)
            self._report(job)
            if job.error_count or job.status != ImportJob.Status.CHECKED:
                services.import_discard(actor=actor, job=job)
                raise CommandError("The check found errors: nothing was imported.")
            if not commit:
                services.import_discard(actor=actor, job=job)
                self.stdout.write("Checked only: run again with --commit to import.")
                return
            job.committed_by = actor
            job.save(update_fields=["committed_by"])
            job = jobs.run_job(job.pk, True, actor)
            self._report(job)
            if job.status != ImportJob.Status.DONE:
                raise CommandError("Nothing was imported.")
            self.stdout.write(self.style.SUCCESS(f"Imported: {job.sha256}"))
        except (ValidationError, PermissionDenied) as error:
            raise CommandError("; ".join(
                f"{name}: {' '.join(str(m) for m in messages)}"
                for name, messages in getattr(error, "message_dict", {"": error.messages}
                                              if hasattr(error, "messages")
                                              else {"": [str(error)]}).items())) from None

    def _mapping(self, job: ImportJob) -> None:
        for header, name in job.mapping.items():
            self.stdout.write(f"  {header!r} -> {name or '(left out)'}")

    def _report(self, job: ImportJob) -> None:
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(job.counts.items())) or "no rows"
        self.stdout.write(f"{job.get_status_display()}: {job.rows} rows; {counts}")
        if job.message:
            self.stdout.write(job.message)
        for error in job.errors:
            self.stdout.write(f"  row {error['row']}, {error['field']}: {error['message']}")
        if job.error_count > len(job.errors):
            self.stdout.write(f"  ... and more: {job.error_count} rows in error")
