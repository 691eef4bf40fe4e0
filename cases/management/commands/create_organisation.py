import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from cases import services
from cases.models import Country, Organisation


def one_line(error: ValidationError) -> str:
    """A validation error as one line: "field: message; field: message"."""
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
            for field, messages in sorted(error.message_dict.items())
        )
    return " ".join(error.messages)


def operator(name: str = "") -> services.Operator:
    """The person at the command line, named for the audit log."""
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError, ImportError):
            name = "operator"
    return services.Operator(name)


class Command(BaseCommand):
    help = "Create an organisation on the platform (an NGO, a ministry, a court, an audit body)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Short unique identifier, e.g. ngo-fr.")
        parser.add_argument("--name", required=True, help="Full name of the organisation.")
        parser.add_argument(
            "--kind",
            required=True,
            help=f"One of: {', '.join(Organisation.Kind.values)}.",
        )
        parser.add_argument(
            "--country", required=True, help="ISO 3166-1 alpha-2 code of its country, e.g. FR."
        )
        parser.add_argument(
            "--mfa",
            choices=["required", "optional"],
            default="required",
            help="Whether its members must sign in with a second factor (default: required).",
        )
        parser.add_argument(
            "--operator",
            default="",
            help="Who runs the command, for the audit log (default: the shell user).",
        )

    def handle(self, *args, slug, name, kind, country, **options):
        name = name.strip()
        try:
            validate_slug(slug)
        except ValidationError:
            raise CommandError(
                f"'{slug}' is not a valid slug: use letters, digits, hyphens and underscores."
            ) from None
        max_name = Organisation._meta.get_field("name").max_length
        if not name or len(name) > max_name:
            raise CommandError(f"The name must have 1 to {max_name} characters.")
        if kind not in Organisation.Kind.values:
            raise CommandError(
                f"Unknown kind '{kind}'. Choose one of: {', '.join(Organisation.Kind.values)}."
            )
        country_row = Country.objects.filter(code=country.upper()).first()
        if country_row is None:
            raise CommandError(f"Unknown country '{country}': give an ISO 3166-1 alpha-2 code.")
        if Organisation.objects.filter(slug=slug).exists():
            raise CommandError(f"An organisation with the slug '{slug}' exists already.")
        try:
            organisation = services.organisation_create(
                actor=operator(options["operator"]),
                slug=slug,
                name=name,
                kind=kind,
                country=country_row,
                mfa_required=options["mfa"] == "required",
            )
        except ValidationError as error:
            raise CommandError(one_line(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created organisation '{organisation.slug}': {organisation.name} "
                f"({organisation.get_kind_display()}, {organisation.country_id}; two factors "
                f"{'required' if organisation.mfa_required else 'optional'})."
            )
        )
