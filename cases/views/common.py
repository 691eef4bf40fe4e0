"""What the pages of the case register share: the record or a 404, the right or a 403, the
subject's identifiers shown only where allowed (and audited), and a form about one record."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import policy, services
from ..models import Case, Subject
from ..selectors import case_prefetches
from .base import (
    ServiceFormPage,
    acting_organisation,
    carry_version,
    changed_fields,
    visible_or_404,
)


def require_right(request, owner_id: int | None, resource, action) -> None:
    """A record the user sees but whose owner's rules do not let its role act: 403."""
    if not policy.has_right(request.user, owner_id, resource, action):
        raise PermissionDenied(_("Your role does not allow this."))


def case_or_404(request, pk, *, full: bool = False) -> Case:
    queryset = Case.objects.select_related(
        "owner", "subject", "requesting_state", "requested_state", "legal_instrument",
        "sharing_group", "caseworker",
    )
    if full:
        queryset = queryset.prefetch_related("offences", "named_recipients", *case_prefetches())
    return visible_or_404(request, queryset, pk=pk)


def show_identifiers(request, subject: Subject) -> bool:
    """Whether the page may show who the subject is; if so, the display is audited."""
    if not policy.can_view_identifiers(request.user, subject):
        return False
    services.record_personal_data_views(actor=request.user, subjects=[subject])
    return True


def labelled(form, rows: list[dict]) -> list[dict]:
    """Conflict rows with choice values as their labels, as the user knows them."""
    fields = {(field.label or name): field for name, field in form.fields.items()}
    for row in rows:
        field = fields.get(row["field"])
        if field is not None and hasattr(field, "choices") and not hasattr(field, "queryset"):
            choices = {str(k): v for k, v in field.choices}
            for key in ("stored", "sent"):
                if isinstance(row[key], str) and row[key] in choices:
                    row[key] = choices[row[key]]
    return rows


def split_row_errors(form, error: ValidationError, key: str) -> ValidationError:
    """Errors the service raised about the repeated rows go with the rows' fieldset."""
    if not hasattr(error, "error_dict") or key not in error.error_dict:
        return error
    rest = dict(error.error_dict)
    for e in rest.pop(key):
        form.rows.add_error(None, e.message % e.params if e.params else e.message)
    return ValidationError(rest)


class RecordFormPage(ServiceFormPage):
    """A form about a record: the record is loaded (404) and the right checked (403) before
    anything is shown or written."""

    template_name = "form.html"

    def may(self, request) -> bool:
        self.prepare(request)
        return True

    def prepare(self, request) -> None:
        raise NotImplementedError

    def cancel_url(self) -> str:
        return ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("cancel_url", self.cancel_url())
        return context

    def stale_fields(self, form, record) -> list[dict]:
        """For a stale edit of `record`: what it holds now where that differs from what was
        sent, the form moved to the version now stored."""
        current = visible_or_404(self.request, type(record), pk=record.pk)
        carry_version(form, current.version)
        stored = {name: getattr(current, name) for name in form.service_fields()}
        return labelled(form, changed_fields(form, stored))


class NewRecordPage(RecordFormPage):
    """A form that creates a record of `resource` for the acting organisation, where the
    user's role there may."""

    template_name = "cases/edit_form.html"
    resource: policy.Resource

    def prepare(self, request):
        self.organisation = acting_organisation(request)
        require_right(request, getattr(self.organisation, "pk", None), self.resource,
                      policy.Action.CREATE)

    def cancel_url(self):
        return reverse("cases:case_list")
