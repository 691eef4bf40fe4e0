from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


def total_ordering(ordering, model, tie_breaker: str = "pk") -> tuple[str, ...]:
    """`ordering` with `tie_breaker` (a unique field) last, in the direction of the term before
    it, unless a term is unique already. Rows that tie on the sorted field then come in one
    order on every page (the cursor counts them by offset), and an index of (field,
    tie-breaker) serves the order both ways."""
    ordering = tuple(ordering)
    fields = [model._meta.pk if name == "pk" else model._meta.get_field(name)
              for name in (term.removeprefix("-") for term in ordering)]
    if not ordering or any(field.unique for field in fields):
        return ordering
    return (*ordering, f"-{tie_breaker}" if ordering[-1].startswith("-") else tie_breaker)


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: as fast on page 1,000 as on page 1, and no total count to compute.

    A page size or a cursor that cannot be read is a 400 naming it, like any other bad input,
    rather than quietly replaced by the default.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-created_at"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if not raw:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError({self.page_size_query_param: [
                _("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            ]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def get_ordering(self, request, queryset, view):
        return total_ordering(super().get_ordering(request, queryset, view), queryset.model,
                              getattr(view, "ordering_tie_breaker", "pk"))

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
            if cursor is not None and cursor.position is not None:
                # A forged position must fit the sorted field; the database would fail on it.
                field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
                field.to_python(cursor.position)
        except (NotFound, DjangoValidationError, FieldDoesNotExist):
            message = self.invalid_cursor_message
            raise ValidationError({self.cursor_query_param: [message]}) from None
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters
