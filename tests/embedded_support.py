"""Prepares the database of an embedded-default test, in a process of its own with that test's
environment (its own SQLite file): the migrations, then a caseworker and a follow-up whose due
date has passed and for which no sweep has run. Prints the ids as JSON.

    python -m tests.embedded_support
"""

from __future__ import annotations

import datetime
import json

import django


def main() -> None:
    django.setup()
    # Models load only once Django is set up, in this process of the test's own settings.
    from django.core.management import call_command
    from django.utils import timezone

    from cases.models import Membership
    from monitoring.models import FollowUp

    from .factories import CaseFactory, MembershipFactory, OrganisationFactory, UserFactory

    call_command("migrate", verbosity=0)
    organisation = OrganisationFactory(slug="ngo-embedded")
    caseworker = UserFactory(username="embedded.caseworker")
    MembershipFactory(user=caseworker, organisation=organisation, role=Membership.Role.CASEWORKER)
    day, now = datetime.timedelta(days=1), timezone.now()
    follow_up = FollowUp.objects.create(
        case=CaseFactory(owner=organisation), kind=FollowUp.Kind.AD_HOC, assignee=caseworker,
        window_opens_at=now - 2 * day, due_at=now - day, due_soon_at=now - 5 * day,
        escalate_at=now + 6 * day, missed_at=now + 13 * day,
    )
    print(json.dumps({"follow_up": str(follow_up.pk), "caseworker": caseworker.pk}))


if __name__ == "__main__":
    main()
