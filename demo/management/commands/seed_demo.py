"""`manage.py seed_demo`: load the demo once (see `demo`); running it again changes nothing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.management.commands.create_organisation import one_line
from demo import seed
from demo.organisations import DEMO_PASSWORD, DEMO_TOTP_SECRET, account_lines


class Command(BaseCommand):
    help = (
        "Load the demo: organisations in France, Germany, Belgium and Italy, an audit body, "
        "an account for each role, a sharing group and a dozen fictional cases. Running it "
        "again changes nothing."
    )

    def handle(self, *args, **options):
        taken = seed.names_taken()
        if seed.is_loaded(taken):
            self.stdout.write("The demo data is already loaded; nothing changed.")
            self._print_accounts()
            return
        if taken:
            raise CommandError(
                "Part of the demo is in the database but not all of it, so it holds other "
                f"data: {', '.join(sorted(taken))} exist already. Nothing changed."
            )
        try:
            with transaction.atomic():
                counts = seed.load()
        except ValidationError as error:
            raise CommandError(f"The demo data did not load: {one_line(error)}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo: {counts['organisations']} organisations, "
                f"{counts['accounts']} accounts, {counts['cases']} cases."
            )
        )
        self._print_accounts()

    def _print_accounts(self) -> None:
        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
        for line in account_lines():
            self.stdout.write(line)
        self.stdout.write(
            "\nEvery demo account signs in with two factors: after the password, a code of the "
            f"authenticator app with the key {DEMO_TOTP_SECRET} (add it to any app), or the "
            "code that `.venv/bin/python manage.py demo_code` prints."
        )
