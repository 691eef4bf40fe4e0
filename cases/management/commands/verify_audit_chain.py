from django.core.management.base import BaseCommand, CommandError

from cases.audit import verify_chain


class Command(BaseCommand):
    help = (
        "Check the hash chain of the audit log from its first event. Exits non-zero at the "
        "first broken link."
    )

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"audit chain broken at event #{report.broken_seq}: {report.reason} "
                f"({report.checked} events before it are intact)"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {report.checked} events"))
