from django.core.management.base import BaseCommand, CommandError

from cases import crypto
from cases.key_rotation import pending, rotate


class Command(BaseCommand):
    help = (
        "Re-wrap every subject's data key under the newest key-encryption key (the first of "
        "FIELD_ENCRYPTION_KEYS), in batches, beside the running application. Stopped, it "
        "resumes where it was. Once it reports nothing left, older keys may be removed from "
        "FIELD_ENCRYPTION_KEYS."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size is at least 1.")
        newest = crypto.current_kek().id
        self.stdout.write(f"{pending().count()} data keys to re-wrap under key {newest}")
        done, stranded = rotate(batch_size=batch_size, progress=lambda done, left: (
            self.stdout.write(f"  {done} re-wrapped, {left} left")))
        if stranded:
            raise CommandError(
                f"{done} re-wrapped; {stranded} are wrapped by keys no longer in "
                "FIELD_ENCRYPTION_KEYS: put those keys back (last in the list) and run again.")
        self.stdout.write(self.style.SUCCESS(
            f"{done} data keys re-wrapped; every data key is wrapped by key {newest}: the older "
            "keys may now be removed from FIELD_ENCRYPTION_KEYS."))
