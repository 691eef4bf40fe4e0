import time

from django.core.management.base import BaseCommand

from cases.audit_checkpoints import write_checkpoint
from monitoring import health
from monitoring.delivery import deliver_pending
from monitoring.sweep import SWEEP_JOBS, sweep


class Command(BaseCommand):
    help = (
        "Run the reminder sweep and deliver pending notifications, then the other apps' "
        "periodic jobs, in this process: once, or every N "
        "seconds with --every. Beat does this on its own; this is for an operator."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, every: int, **options):
        while True:
            report = sweep()
            delivered = deliver_pending()
            jobs = "".join(f"{name} {job()}; " for name, job in SWEEP_JOBS)
            checkpoint = write_checkpoint()
            health.record_sweep()
            self.stdout.write(
                f"{report.now:%Y-%m-%d %H:%M:%S} sweep: {report.notifications} notifications "
                f"({', '.join(f'{k}: {n}' for k, n in report.by_kind.items()) or 'none'}), "
                f"{report.missed} missed; delivered {delivered}; {jobs}"
                + (f"audit checkpoint #{checkpoint.seq}" if checkpoint
                   else "audit checkpoint NOT written (see the log)")
            )
            if every <= 0:
                return
            time.sleep(every)
