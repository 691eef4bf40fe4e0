"""Filters for the API lists. Every choice of another record is itself restricted to what the
caller may see, so a filter never confirms that an invisible record exists."""

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from . import name_index, policy
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


class VisibleChoiceFilter(filters.ModelChoiceFilter):
    """One record the caller may see, named by its id; another fails as one that does not exist.
    The restricted choices (the policy's subqueries) are built only when the parameter is sent:
    a list read without it does not pay for them."""

    def __init__(self, model, **kwargs):
        # Not `model`: the filter set sets that to the model of its own list.
        self.choice_model = model
        super().__init__(**kwargs)

    def get_queryset(self, request):
        parent = self.parent
        sent = request is not None and parent is not None and parent.data is not None and any(
            name in parent.data for name, f in parent.filters.items() if f is self)
        if not sent:
            return self.choice_model._default_manager.none()
        return policy.visible(request.user, self.choice_model)


def _identifiable_organisations(request) -> list[int]:
    return policy.organisations_with(
        request.user, policy.Resource.SUBJECT, policy.Action.VIEW_IDENTIFIERS
    )


def _matching(*ways: models.QuerySet) -> models.QuerySet:
    """The ids of the records any of `ways` finds, as one query (a UNION), each way read
    through its own index (a reference's trigram index, the name index). A search reads them
    first and gives the list the ids found: joined to a page in the list's order, many matches
    were read once per row the page read."""
    first, *others = (way.order_by().values("pk") for way in ways)
    return first.union(*others)


def _named(model, value: str, identifiable, subject_ref: str = "pk") -> list:
    """The ids of `model`'s records whose subject's names match `value`, among the
    organisations whose identifiers the caller may see: a few, through the name index."""
    ways = name_index.ways_to_match(value, subject_ref)
    if not ways:
        return []
    return list(_matching(*[model.objects.filter(way, owner_id__in=identifiable)
                            for way in ways]).values_list("pk", flat=True))


class StrictBooleanField(forms.NullBooleanField):
    """true or false (1 or 0); anything else is a 400 rather than a filter silently dropped."""

    class Select(forms.NullBooleanSelect):
        # The value as sent: the field decides, instead of the widget reading junk as "either".
        def value_from_datadict(self, data, files, name):
            return data.get(name)

    widget = Select

    def to_python(self, value):
        # "unknown" is the web form's choice of either.
        if value in (None, "", "unknown"):
            return None
        if value in (True, "true", "True", "1"):
            return True
        if value in (False, "false", "False", "0"):
            return False
        raise ValidationError(_("Use true or false."), code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


class StrictFilterSet(filters.FilterSet):
    """A list's filters, each known by the query parameters it takes: a range filter takes two
    (`request_date_after`, `request_date_before`). The API lists and the exports refuse any
    other parameter, and report an error under the parameter that was sent."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }

    def parameters(self) -> dict[str, str]:
        """Each query parameter taken, with the filter it belongs to."""
        taken = {}
        # From the filters' declarations: building the form would build every choice queryset.
        for name, declared in self.filters.items():
            widget = declared.extra.get("widget") or declared.field_class.widget
            suffixes = getattr(widget, "suffixes", None) or [""]
            taken.update({f"{name}_{suffix}" if suffix else name: name for suffix in suffixes})
        return taken

    def parameter_errors(self) -> dict[str, list[str]]:
        """The errors of an invalid filter set, keyed by the parameters sent."""
        taken = self.parameters()
        errors = {}
        for name, messages in self.form.errors.items():
            sent = [p for p, of in taken.items() if of == name and p in self.data]
            by_part = self._part_errors(name, sent)
            if by_part:
                errors.update(by_part)
            else:
                errors.update({key: list(messages) for key in sent or [name]})
        return errors

    def _part_errors(self, name: str, sent: list[str]) -> dict[str, list[str]]:
        """For a filter of several parameters, the messages of each part that is wrong."""
        field = self.form.fields.get(name)
        suffixes = getattr(getattr(field, "widget", None), "suffixes", None)
        if not suffixes or not hasattr(field, "fields"):
            return {}
        errors = {}
        for suffix, part in zip(suffixes, field.fields, strict=False):
            parameter = f"{name}_{suffix}" if suffix else name
            if parameter not in sent:
                continue
            try:
                part.clean(self.data.get(parameter))
            except ValidationError as error:
                errors[parameter] = list(error.messages)
        return errors


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


class CaseFilter(StrictFilterSet):
    status = ChoicesFilter(choices=Case.Status.choices, label=_("Status"))
    channel = ChoicesFilter(choices=Case.Channel.choices, label=_("Channel"))
    requesting_state = CountryFilter(label=_("Requesting state"))
    requested_state = CountryFilter(label=_("Requested state"))
    # django-filter matches the chosen organisations' slugs against `field_name`.
    organisation = extend_schema_field(OpenApiTypes.STR)(filters.ModelMultipleChoiceFilter(
        field_name="owner__slug", to_field_name="slug", queryset=Organisation.objects.all(),
        distinct=False, label=_("Organisation"),
    ))
    distribution = ChoicesFilter(choices=Distribution.choices, label=_("Distribution"))
    tlp = ChoicesFilter(choices=TLP.choices, label=_("TLP label"))
    subject = VisibleChoiceFilter(Subject, label=_("Subject"))
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

    # At most this many cases matched by reference are looked up by their ids.
    FEW = 1000

    def search(self, queryset, name, value):
        # Names are searched only among subjects whose identifiers the caller may see.
        named = _named(Case, value, _identifiable_organisations(self.request), "subject_id")
        # The cases whose reference or subject's reference matches, through their trigram
        # indexes: a few are read by id. Where more match (the first characters of a reference
        # most cases share), each case is matched on its own row, so that a page in the list's
        # order stops at its last row; joined to the page, so many matches were read once per
        # case read (3.5 s at 100,000 cases).
        found = list(_matching(
            Case.objects.filter(reference__icontains=value),
            Case.objects.filter(subject__reference__icontains=value),
        ).values_list("pk", flat=True)[:self.FEW + 1])
        if len(found) <= self.FEW:
            return queryset.filter(pk__in=[*found, *named])
        return queryset.filter(Q(reference__icontains=value)
                               | Q(subject__reference__icontains=value) | Q(pk__in=named))


class SubjectFilter(StrictFilterSet):
    refugee_status = ChoicesFilter(choices=Subject.RefugeeStatus.choices)
    nationality = CountryFilter(field_name="nationalities__country", distinct=True)
    reprisal_risk = StrictBooleanFilter()
    do_not_contact = StrictBooleanFilter()
    q = filters.CharFilter(method="search", max_length=200, label="Reference or (own) name")

    class Meta:
        model = Subject
        fields = []

    def search(self, queryset, name, value):
        # The few subjects whose names match are found first, through the name index; then
        # each subject is matched on its own row, by its reference or as one of those. The
        # database can then read the reference's trigram index and those ids together where
        # few match, or walk the list's order and stop at its page where many do. (All matches
        # as one subquery joined to the list read the matching ids once per subject read where
        # most subjects' references share what was typed: seconds at 100,000 subjects.)
        named = _named(Subject, value, _identifiable_organisations(self.request))
        return queryset.filter(Q(reference__icontains=value) | Q(pk__in=named))


class CaseChildFilter(StrictFilterSet):
    case = VisibleChoiceFilter(Case)


class AssuranceFilter(CaseChildFilter):
    type = ChoicesFilter(choices=Assurance.Type.choices)
    form = ChoicesFilter(choices=Assurance.Form.choices)
    binding = StrictBooleanFilter()
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


def organisation_by_slug() -> filters.ModelChoiceFilter:
    """One of the directory's organisations, named by its slug."""
    return filters.ModelChoiceFilter(
        field_name="organisation", to_field_name="slug", queryset=Organisation.objects.all()
    )


class MembershipFilter(StrictFilterSet):
    organisation = organisation_by_slug()
    role = ChoicesFilter(choices=Membership.Role.choices)

    class Meta:
        model = Membership
        fields = []


class InvitationFilter(StrictFilterSet):
    organisation = organisation_by_slug()
    status = ChoicesFilter(choices=Invitation.Status.choices)

    class Meta:
        model = Invitation
        fields = []


class AuditEventFilter(StrictFilterSet):
    action = ChoicesFilter(choices=AuditEvent.Action.choices)
    object_type = filters.CharFilter(max_length=50)
    object_id = filters.CharFilter(max_length=64)
    actor = filters.CharFilter(field_name="actor_username", max_length=150)
    organisation = organisation_by_slug()
    at = filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = AuditEvent
        fields = []


class InstrumentFilter(StrictFilterSet):
    party = filters.CharFilter(method="by_party", max_length=2, label="Either party (ISO code)")
    kind = ChoicesFilter(choices=LegalInstrument.Kind.choices)
    status = ChoicesFilter(choices=LegalInstrument.Status.choices)

    class Meta:
        model = LegalInstrument
        fields = []

    def by_party(self, queryset, name, value):
        return queryset.filter(Q(party_a_id=value.upper()) | Q(party_b_id=value.upper()))
