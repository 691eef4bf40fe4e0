"""The demo's organisations in four states and an audit body, an account for each of their
listed roles, platform staff, and the sharing group of the French NGO. Every name is invented."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib.auth import get_user_model
from django_otp.oath import totp

from accounts import factors
from cases import services
from cases.models import Membership, Organisation, SharingGroup

from .reference import country

DEMO_PASSWORD = "demo-password-2026"
# The demo organisations require two factors, as new organisations do: every demo account has
# an authenticator app enrolled with this one key (printed by seed_demo, and `manage.py
# demo_code` prints its current code). A demo key, public like the password: never reuse it.
DEMO_TOTP_KEY = b"demo-totp-secret-key".hex()
DEMO_TOTP_SECRET = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
STAFF_USERNAME = "staff"
SHARING_GROUP_NAME = "FR–DE–BE monitoring group"

Kind = Organisation.Kind
Role = Membership.Role
ROLE_SHORT = {Role.CASEWORKER: "caseworker", Role.LIAISON: "liaison",
              Role.AUDITOR: "auditor", Role.ORG_ADMIN: "admin"}
ALL_ROLES = (Role.CASEWORKER, Role.LIAISON, Role.AUDITOR, Role.ORG_ADMIN)

# slug, name, kind, country, roles with a demo account
ORGANISATIONS = [
    ("ngo-fr", "Garde-Fou Extraditions (demo)", Kind.NGO, "FR", ALL_ROLES),
    ("justice-fr", "French Ministry of Justice, extradition desk (demo)", Kind.MINISTRY, "FR",
     (Role.CASEWORKER, Role.LIAISON, Role.ORG_ADMIN)),
    ("ministry-de", "German Federal Foreign Office, legal assistance unit (demo)",
     Kind.MINISTRY, "DE", ALL_ROLES),
    ("ngo-de", "Wachposten Rechtsschutz e.V. (demo)", Kind.NGO, "DE",
     (Role.CASEWORKER, Role.ORG_ADMIN)),
    ("ngo-be", "Ligue Balise Belgique (demo)", Kind.NGO, "BE",
     (Role.CASEWORKER, Role.ORG_ADMIN)),
    ("ngo-it", "Osservatorio Promesse Mantenute (demo)", Kind.NGO, "IT",
     (Role.CASEWORKER, Role.ORG_ADMIN)),
    ("audit-eu", "European Assurance Review Office (demo)", Kind.AUDIT_BODY, "BE",
     (Role.AUDITOR, Role.ORG_ADMIN)),
]


def username(slug: str, role: str) -> str:
    return f"{slug}.{ROLE_SHORT[role]}"


DEMO_USERNAMES = [
    username(slug, role) for slug, *_rest, roles in ORGANISATIONS for role in roles
]
DEMO_SLUGS = [slug for slug, *_rest in ORGANISATIONS]


def organisations_create(
    operator: services.Operator,
) -> tuple[dict[str, Organisation], dict[str, Any]]:
    """The organisations by slug and their accounts by username; platform staff besides."""
    User = get_user_model()
    organisations: dict[str, Organisation] = {}
    users: dict[str, Any] = {}
    for slug, name, kind, country_code, roles in ORGANISATIONS:
        organisation = services.organisation_create(
            actor=operator, slug=slug, name=name, kind=kind, country=country(country_code)
        )
        organisations[slug] = organisation
        for role in roles:
            user = User.objects.create_user(
                username(slug, role),
                email=f"{username(slug, role)}@demo.invalid",
                password=DEMO_PASSWORD,
            )
            services.membership_create(
                actor=operator, organisation=organisation, user=user, role=role
            )
            demo_app_enrol(user)
            users[user.username] = user
    demo_app_enrol(User.objects.create_superuser(
        STAFF_USERNAME, email=f"{STAFF_USERNAME}@demo.invalid", password=DEMO_PASSWORD
    ))
    return organisations, users


def demo_code() -> str:
    """The code the demo accounts' authenticator app shows now."""
    return f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}"


def demo_app_enrol(user) -> None:
    factors.totp_enrol(actor=user, name="demo app", key=DEMO_TOTP_KEY, code=demo_code())


def sharing_group_create(
    organisations: dict[str, Organisation], users: dict[str, Any]
) -> SharingGroup:
    """The French NGO's group with the German ministry and the Belgian NGO."""
    return services.sharing_group_create(
        actor=users[username("ngo-fr", Role.ORG_ADMIN)],
        organisation=organisations["ngo-fr"],
        name=SHARING_GROUP_NAME,
        description="Cases of nationals of, or arrested in, France, Germany and Belgium.",
        members=[organisations["ministry-de"], organisations["ngo-be"]],
    )


def account_lines() -> list[str]:
    """One line per demo account: its username, role and organisation."""
    lines = [
        f"  {username(slug, role):<24} {role:<11} {name} ({country_code})"
        for slug, name, _kind, country_code, roles in ORGANISATIONS
        for role in roles
    ]
    return [*lines, f"  {STAFF_USERNAME:<24} {'superuser':<11} platform staff"]
