"""Factories for test data. They write rows directly; the services are tested on their own."""

import base64

import factory
import pyotp
from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.models import (
    Assurance,
    Case,
    Country,
    Membership,
    Organisation,
    ProceedingEvent,
    SharingGroup,
    SharingGroupMembership,
    Subject,
    SubjectNationality,
)
from cases.models.sharing import TLP, Distribution


def country(code: str) -> Country:
    return Country.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.LazyAttribute(lambda o: f"Organisation {o.slug}")
    kind = Organisation.Kind.NGO
    country = factory.LazyFunction(lambda: country("FR"))
    # Test setups sign in with a password alone unless a test asks for two factors.
    mfa_required = False


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.CASEWORKER


class SharingGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SharingGroup
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Group {n}")
    owner = factory.SubFactory(OrganisationFactory)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        for org in [self.owner, *(extracted or [])]:
            SharingGroupMembership.objects.get_or_create(group=self, organisation=org)


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject
        skip_postgeneration_save = True

    owner = factory.SubFactory(OrganisationFactory)
    full_name = factory.Sequence(lambda n: f"Fictional Person {n}")
    contacts = "Lawyer: Maître Fictif, +33 1 00 00 00 00"
    # Consenting, so that tests of sharing share; the tests of consent withhold it.
    consent_to_share = True

    @factory.post_generation
    def nationalities(self, create, extracted, **kwargs):
        for code in extracted or ["CN"]:
            SubjectNationality.objects.create(subject=self, country=country(code))


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    owner = factory.SubFactory(OrganisationFactory)
    subject = factory.LazyAttribute(lambda c: SubjectFactory(owner=c.owner))
    reference = factory.Sequence(lambda n: f"T-2026-{n:05d}")
    requesting_state = factory.LazyFunction(lambda: country("CN"))
    requested_state = factory.LazyFunction(lambda: country("FR"))
    channel = Case.Channel.EXTRADITION
    legal_basis_note = "Confidential note on sources"
    interpol_notice = Case.InterpolNotice.RED
    interpol_reference = "A-1234/5-2026"
    distribution = Distribution.ORGANISATION
    tlp = TLP.AMBER


class AssuranceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assurance

    case = factory.SubFactory(CaseFactory)
    type = Assurance.Type.NO_TORTURE
    verbatim_text = "The requesting state guarantees that the person will not be tortured."
    form = Assurance.Form.DIPLOMATIC_NOTE
    issuer = "Ministry of Foreign Affairs"
    issuer_level = Assurance.IssuerLevel.CENTRAL_GOVERNMENT


class ProceedingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProceedingEvent

    case = factory.SubFactory(CaseFactory)
    kind = ProceedingEvent.Kind.HEARING
    date = factory.Faker("date_between", start_date="-1y", end_date="today")
    authority = "Cour d'appel"
    description = "Hearing notes naming the family"


def authenticator_app(user) -> TOTPDevice:
    """The user's authenticator app, set up for it if it has none."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first() or \
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def app_code(device: TOTPDevice) -> str:
    """The code the app shows now, computed as the app would."""
    return pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()


def totp_code(user) -> str:
    """The current code of the user's authenticator app (set up for it if it has none)."""
    return app_code(authenticator_app(user))


def sign_in_with_two_factors(client, user) -> None:
    """Sign `user` in on the test `client` in a session that passed a second factor (an
    authenticator app of theirs, made here if they have none)."""
    device = authenticator_app(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
