"""The reference data the demo stands on, made by `migrate`: a missing row stops the load."""

from __future__ import annotations

from django.core.management.base import CommandError

from cases.models import Country, LegalInstrument


def country(code: str) -> Country:
    found = Country.objects.filter(code=code).first()
    if found is None:
        raise CommandError(f"Country {code} is missing from the reference data: run migrate.")
    return found


def instrument(key: tuple[str, str, str] | None) -> LegalInstrument | None:
    if key is None:
        return None
    party_a, party_b, kind = key
    found = LegalInstrument.objects.filter(
        party_a_id=party_a, party_b_id=party_b, kind=kind
    ).first()
    if found is None:
        raise CommandError(
            f"The {kind} between {party_a} and {party_b} is missing from the reference data: "
            "run migrate."
        )
    return found

