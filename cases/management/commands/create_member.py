import os
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from cases import services
from cases.models import Membership, Organisation

from .create_organisation import one_line, operator

PASSWORD_ENV = "EM_MEMBER_PASSWORD"


class Command(BaseCommand):
    help = (
        "Give a user a role in an organisation, creating the user if needed. The password comes "
        f"from --password or, safer (it stays out of the process list), from ${PASSWORD_ENV}."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--organisation", required=True, help="Slug of the organisation, e.g. ngo-fr."
        )
        parser.add_argument(
            "--role", required=True, help=f"One of: {', '.join(Membership.Role.values)}."
        )
        parser.add_argument(
            "--password",
            help=f"Password of a new user, or a new password for an existing one "
            f"(default: ${PASSWORD_ENV}).",
        )
        parser.add_argument("--email", help="E-mail address of the user.")
        parser.add_argument(
            "--operator",
            default="",
            help="Who runs the command, for the audit log (default: the shell user).",
        )

    def handle(self, *args, username, organisation, role, password, email, **options):
        if password is None:
            password = os.environ.get(PASSWORD_ENV) or None
        organisation_row = _organisation(organisation, role, email)
        user, new_user = _user(username, organisation_row, password, email)
        try:
            with transaction.atomic():
                if password:
                    user.set_password(password)
                if email is not None:
                    user.email = email
                if new_user or password or email is not None:
                    user.save()
                services.membership_create(
                    actor=operator(options["operator"]),
                    organisation=organisation_row,
                    user=user,
                    role=role,
                )
        except ValidationError as error:
            raise CommandError(one_line(error)) from None

        what = "Created user" if new_user else "User"
        if not new_user and password:
            what = "Changed the password of user"
        self.stdout.write(
            self.style.SUCCESS(
                f"{what} '{username}'; now {role} of '{organisation_row.slug}'."
            )
        )


def _organisation(slug: str, role: str, email: str | None) -> Organisation:
    """The organisation named, once the role and the e-mail address are known to be valid."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise CommandError(f"Unknown organisation '{slug}'.")
    if role not in Membership.Role.values:
        raise CommandError(
            f"Unknown role '{role}'. Choose one of: {', '.join(Membership.Role.values)}."
        )
    if email is not None:
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"'{email}' is not a valid e-mail address.") from None
    return organisation


def _user(
    username: str, organisation: Organisation, password: str | None, email: str | None
) -> tuple[Any, bool]:
    """The user to add (an unsaved one when new) and whether it is new; refused when it is
    already a member, or when its fields or the password do not validate."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None and Membership.objects.filter(
        user=user, organisation=organisation
    ).exists():
        raise CommandError(
            f"'{username}' is already a member of '{organisation.slug}'; "
            "change the role through the API or the admin."
        )
    new_user = user is None
    if new_user:
        if not password:
            raise CommandError(
                f"'{username}' is a new user: give a password with --password or "
                f"${PASSWORD_ENV}."
            )
        user = User(username=username, email=email or "")
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as error:
            raise CommandError(one_line(error)) from None
    if password:
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from None
    return user, new_user
