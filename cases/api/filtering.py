"""What a list takes in its query string: its filters, its ordering, its page and the format,
nothing else. A parameter a list does not take is refused, not ignored: a misspelt filter would
otherwise return every record as if it had matched."""

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

from ..filters import StrictFilterSet


def is_list(view) -> bool:
    """A list, as opposed to one record: a detail's lookup is not filtered by list parameters."""
    return not getattr(view, "detail", False)


def _other_parameters(view, backend) -> set[str]:
    """The parameters of the list's other backends and of its pagination."""
    names = {api_settings.URL_FORMAT_OVERRIDE} - {None}
    for other in view.filter_backends:
        if not isinstance(backend, other):
            names.update(p["name"] for p in other().get_schema_operation_parameters(view))
    if view.paginator is not None:
        names.update(p["name"] for p in view.paginator.get_schema_operation_parameters(view))
    return names


class StrictFilterBackend(DjangoFilterBackend):
    """A list's filters (a `StrictFilterSet`), refusing parameters the list does not take and
    naming in each error the parameter that was sent."""

    filterset_base = StrictFilterSet

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        if filterset_class is not None and not issubclass(filterset_class, StrictFilterSet):
            raise ImproperlyConfigured(
                f"{type(view).__name__}.filterset_class must be a StrictFilterSet."
            )
        return filterset_class

    def filter_queryset(self, request, queryset, view):
        if not is_list(view):
            return queryset
        # Checked whatever is sent: a list's filters are always a StrictFilterSet.
        self.get_filterset_class(view, queryset)
        others = _other_parameters(view, self)
        if not set(request.query_params) - others:
            # Only the order, the page or the format: the filters have nothing to read, and a
            # list read so does not build and validate their form.
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        taken = set(filterset.parameters()) if filterset is not None else set()
        taken |= others
        errors = {
            name: [_("Unknown parameter: this list takes %(names)s.")
                   % {"names": ", ".join(sorted(taken))}]
            for name in sorted(set(request.query_params) - taken)
        }
        if filterset is not None and not filterset.is_valid():
            errors.update(filterset.parameter_errors())
        if errors:
            raise ValidationError(errors)
        return queryset if filterset is None else filterset.qs


class StrictOrderingFilter(filters.OrderingFilter):
    """`ordering`: the fields a list may be sorted by, `-` first for descending. Another field
    is refused, so a sort by a field the caller may not read never orders the answer."""

    ordering_description = gettext_lazy("Sort by these fields, in order; `-` first for descending.")

    def get_valid_fields(self, queryset, view, context=None):
        fields = getattr(view, "ordering_fields", None)
        if fields is None:
            # A list that declares no choice is sorted only its own way.
            fields = [term.removeprefix("-") for term in self._default(view)]
        return [(name, name) for name in fields]

    def _default(self, view) -> tuple[str, ...]:
        ordering = self.get_default_ordering(view)
        if ordering is None and view.paginator is not None:
            ordering = getattr(view.paginator, "ordering", None)
        return (ordering,) if isinstance(ordering, str) else tuple(ordering or ())

    def _choices(self, view) -> list[str]:
        names = [name for name, _label in self.get_valid_fields(None, view)]
        return sorted(names + [f"-{name}" for name in names])

    def get_ordering(self, request, queryset, view):
        if not is_list(view):
            return self.get_default_ordering(view)
        return super().get_ordering(request, queryset, view)

    def remove_invalid_fields(self, queryset, fields, view, request):
        choices = self._choices(view)
        if any(term not in choices for term in fields):
            raise ValidationError({self.ordering_param: [
                _("Sort by one or more of %(names)s, separated by commas.")
                % {"names": ", ".join(choices)}
            ]})
        return fields

    def get_schema_operation_parameters(self, view):
        return [{
            "name": self.ordering_param,
            "required": False,
            "in": "query",
            "description": str(self.ordering_description),
            "schema": {"type": "array", "items": {"type": "string", "enum": self._choices(view)}},
            # `ordering=` is the parameter not given, as an empty value of any filter is.
            "allowEmptyValue": True,
            "style": "form",
            "explode": False,
        }]
