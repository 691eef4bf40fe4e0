from django.core.management.base import BaseCommand

from reporting.cellkey import rebuild_record_keys


class Command(BaseCommand):
    help = (
        "Derive the record key of every case, check report and finding again under the current "
        "CELL_KEY_SECRET. Run it once after changing that secret: until then the compliance "
        "record keeps perturbing its counts with the keys of the old one."
    )

    def handle(self, *args, **options):
        counts = rebuild_record_keys()
        self.stdout.write(self.style.SUCCESS(
            "Record keys derived again: " + ", ".join(f"{n} {kind}" for kind, n in counts.items())))
