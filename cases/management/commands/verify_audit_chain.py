from django.core.management.base import BaseCommand, CommandError

from cases.audit import verify_chain
from cases.audit_checkpoints import checkpoint_file


class Command(BaseCommand):
    help = (
        "Check the hash chain of the audit log from its first event, then that the log still "
        "reaches the last checkpoint the reminder sweep wrote out of the database, with the "
        "same hash. Exits non-zero at the first broken link."
    )

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            if report.broken_seq is None:
                raise CommandError(f"audit chain broken: {report.reason}")
            raise CommandError(
                f"audit chain broken at event #{report.broken_seq}: {report.reason} "
                f"({report.checked} events before it are intact)"
            )
        if report.checkpoint is None:
            against = (f"no checkpoint yet in {checkpoint_file().parent} (the reminder sweep "
                       "writes one at each run)")
        else:
            against = (f"it reaches {report.checkpoint.describe()} "
                       f"(event #{report.checkpoint.seq}) with the same hash")
        self.stdout.write(self.style.SUCCESS(
            f"audit chain intact: {report.checked} events; {against}"))
