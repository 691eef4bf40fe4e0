"""`manage.py demo_code`: the code the demo accounts' authenticator app shows now."""

from django.core.management.base import BaseCommand

from demo.organisations import demo_code


class Command(BaseCommand):
    help = ("Print the current second-factor code of the demo accounts (they share one "
            "authenticator key, printed by seed_demo). Codes change every 30 seconds.")

    def handle(self, *args, **options):
        self.stdout.write(demo_code())
