"""Filters for the API lists. Every choice of another record is itself restricted to what the
caller may see, so a filter never confirms that an invisible record exists."""

import django_filters as filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import policy
from .models import (
    Assurance,
    AuditEvent,
    Case,
    Country,
    Invitation,
    LegalInstrument,
    Membership,
    Organisation,
    ProceedingEvent,
    Subject,
)
from .models.sharing import TLP, Distribution


def _visible(model):
    def queryset(request):
        return model.objects.visible_to(request.user)

    return queryset


def _identifiable_organisations(request) -> list[int]:
    return policy.organisations_with(
        request.user, policy.Resource.SUBJECT, policy.Action.VIEW_IDENTIFIERS
    )


def strict_boolean(**kwargs) -> filters.TypedChoiceFilter:
    """true or false; anything else is a 400 rather than a filter silently dropped."""
    return filters.TypedChoiceFilter(
        choices=[(v, v) for v in ("true", "false", "True", "False", "1", "0")],
        coerce=lambda value: value in ("true", "True", "1"),
        **kwargs,
    )


class ChoicesFilter(filters.MultipleChoiceFilter):
    """Any of several values of a column of the record itself. No join can repeat a row, so no
    DISTINCT, which would make the database sort and compare whole rows."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class CountryFilter(filters.ModelMultipleChoiceFilter):
    """Countries by ISO code; DISTINCT only where asked (a subject's several nationalities)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        kwargs.setdefault("queryset", Country.objects.all())
        kwargs.setdefault("to_field_name", "code")
        super().__init__(*args, **kwargs)


class CaseFilter(filters.FilterSet):
    status = ChoicesFilter(choices=Case.Status.choices)
    channel = ChoicesFilter(choices=Case.Channel.choices)
    requesting_state = CountryFilter()
    requested_state = CountryFilter()
    # django-filter matches the chosen organisations' slugs against `field_name`.
    organisation = filters.ModelMultipleChoiceFilter(
        field_name="owner__slug", to_field_name="slug", queryset=Organisation.objects.all(),
        distinct=False, label=_("Organisation"),
    )
    distribution = ChoicesFilter(choices=Distribution.choices)
    tlp = ChoicesFilter(choices=TLP.choices)
    subject = filters.ModelChoiceFilter(queryset=_visible(Subject))
    legal_instrument = filters.NumberFilter(
        field_name="legal_instrument_id", min_value=1, max_value=2**63 - 1, decimal_places=0
    )
    request_date = filters.DateFromToRangeFilter()
    arrest_date = filters.DateFromToRangeFilter()
    decision_date = filters.DateFromToRangeFilter()
    surrender_date = filters.DateFromToRangeFilter()
    created = filters.IsoDateTimeFromToRangeFilter(field_name="created_at")
    q = filters.CharFilter(method="search", max_length=200, label="Reference or (own) name")

    class Meta:
        model = Case
        fields = []

    def search(self, queryset, name, value):
        # Names are searched only among subjects whose identifiers the caller may see.
        return queryset.filter(
            Q(reference__icontains=value)
            | Q(subject__reference__icontains=value)
            | Q(
                subject__full_name__icontains=value,
                owner_id__in=_identifiable_organisations(self.request),
            )
        )


class SubjectFilter(filters.FilterSet):
    refugee_status = ChoicesFilter(choices=Subject.RefugeeStatus.choices)
    nationality = CountryFilter(field_name="nationalities__country", distinct=True)
    reprisal_risk = strict_boolean()
    do_not_contact = strict_boolean()
    q = filters.CharFilter(method="search", max_length=200, label="Reference or (own) name")

    class Meta:
        model = Subject
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(reference__icontains=value)
            | (
                (Q(full_name__icontains=value) | Q(other_names__icontains=value))
                & Q(owner_id__in=_identifiable_organisations(self.request))
            )
        )


class CaseChildFilter(filters.FilterSet):
    case = filters.ModelChoiceFilter(queryset=_visible(Case))


class AssuranceFilter(CaseChildFilter):
    type = ChoicesFilter(choices=Assurance.Type.choices)
    form = ChoicesFilter(choices=Assurance.Form.choices)
    binding = strict_boolean()
    given_on = filters.DateFromToRangeFilter()

    class Meta:
        model = Assurance
        fields = []


class ProceedingFilter(CaseChildFilter):
    kind = ChoicesFilter(choices=ProceedingEvent.Kind.choices)
    date = filters.DateFromToRangeFilter()

    class Meta:
        model = ProceedingEvent
        fields = []


class MembershipFilter(filters.FilterSet):
    organisation = filters.ModelChoiceFilter(
        field_name="organisation", to_field_name="slug", queryset=Organisation.objects.all()
    )
    role = ChoicesFilter(choices=Membership.Role.choices)

    class Meta:
        model = Membership
        fields = []


class InvitationFilter(filters.FilterSet):
    organisation = filters.ModelChoiceFilter(
        field_name="organisation", to_field_name="slug", queryset=Organisation.objects.all()
    )
    status = ChoicesFilter(choices=Invitation.Status.choices)

    class Meta:
        model = Invitation
        fields = []


class AuditEventFilter(filters.FilterSet):
    action = ChoicesFilter(choices=AuditEvent.Action.choices)
    object_type = filters.CharFilter(max_length=50)
    object_id = filters.CharFilter(max_length=64)
    actor = filters.CharFilter(field_name="actor_username", max_length=150)
    organisation = filters.ModelChoiceFilter(
        field_name="organisation", to_field_name="slug", queryset=Organisation.objects.all()
    )
    at = filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = AuditEvent
        fields = []


class InstrumentFilter(filters.FilterSet):
    party = filters.CharFilter(method="by_party", max_length=2, label="Either party (ISO code)")
    kind = ChoicesFilter(choices=LegalInstrument.Kind.choices)
    status = ChoicesFilter(choices=LegalInstrument.Status.choices)

    class Meta:
        model = LegalInstrument
        fields = []

    def by_party(self, queryset, name, value):
        return queryset.filter(Q(party_a_id=value.upper()) | Q(party_b_id=value.upper()))
