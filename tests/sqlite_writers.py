"""Concurrent audited writes on a SQLite file, in a process of its own with the real settings.

Run as `python -m tests.sqlite_writers`, with DATABASE_URL naming a SQLite file: migrates it,
then THREADS threads each create and edit subjects through the services (every write appends
to the audit chain) and one line of JSON reports how many writes failed, and why.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter

import django
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

THREADS = 4
WRITES_PER_THREAD = 15


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    # The project's models exist only once Django is set up, with the settings under test.
    from cases import services
    from cases.audit import verify_chain
    from cases.models import Country, Membership, Organisation

    call_command("migrate", verbosity=0)
    operator = services.Operator("writers")
    organisation = services.organisation_create(
        actor=operator, slug="ngo-writers", name="Writers", kind=Organisation.Kind.NGO,
        country=Country.objects.get(code="FR"),
    )
    users = [get_user_model().objects.create_user(f"writer{n}") for n in range(THREADS)]
    for user in users:
        services.membership_create(actor=operator, organisation=organisation, user=user,
                                   role=Membership.Role.CASEWORKER)
    connection.close()
    start = threading.Barrier(THREADS)
    failures: Counter[str] = Counter()
    done: Counter[str] = Counter()

    def write(user) -> None:
        start.wait()
        subject = None
        for n in range(WRITES_PER_THREAD):
            try:
                if subject is None or n % 5 == 0:
                    subject = services.subject_create(actor=user, full_name=f"{user} {n}")
                elif n % 5 == 1:
                    subject = services.subject_update(actor=user, subject=subject,
                                                      version=subject.version, notes=str(n))
                else:
                    # Its transaction reads the chain head before it writes.
                    services.record_personal_data_views(actor=user, subjects=[subject])
                done["writes"] += 1
            except Exception as error:  # every failure is counted, by its message
                failures[f"{type(error).__name__}: {error}"] += 1
        connection.close()

    threads = [threading.Thread(target=write, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify_chain()
    print(json.dumps({"writes": done["writes"], "failures": dict(failures),
                      "chain_intact": report.ok, "events": report.checked}))


if __name__ == "__main__":
    main()
