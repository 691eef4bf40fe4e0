"""Loading the whole demo once, in one transaction."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from cases import services
from cases.models import Organisation

from .case_records import case_load
from .organisations import (
    DEMO_SLUGS,
    DEMO_USERNAMES,
    STAFF_USERNAME,
    organisations_create,
    sharing_group_create,
)
from .stories import DEMO_CASES
from .visits import call_due_now


def names_taken() -> set[str]:
    """The demo's organisation slugs and usernames already in the database."""
    slugs = set(Organisation.objects.filter(slug__in=DEMO_SLUGS).values_list("slug", flat=True))
    usernames = set(
        get_user_model().objects.filter(
            username__in=[*DEMO_USERNAMES, STAFF_USERNAME]
        ).values_list("username", flat=True)
    )
    return slugs | usernames


def is_loaded(taken: set[str]) -> bool:
    return taken == {*DEMO_SLUGS, *DEMO_USERNAMES, STAFF_USERNAME}


def load() -> dict[str, int]:
    """Write the demo (call it inside a transaction); the counts of what it wrote."""
    operator = services.Operator("seed_demo")
    organisations, users = organisations_create(operator)
    group = sharing_group_create(organisations, users)
    for demo in DEMO_CASES:
        case_load(demo, organisations[demo.owner], users, group)
    call_due_now(organisations["ngo-fr"], users)
    return {
        "organisations": len(organisations),
        "accounts": len(users) + 1,
        "cases": len(DEMO_CASES),
    }
