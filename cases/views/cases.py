"""Pages of cases: the list, the case page, and the forms that create, edit and move a case.

Every read starts from the policy's restricted querysets (a record out of sight is a 404), every
write goes through `cases.services`, and the fields the API keeps for the owner
(`owner_only_fields`) are left out of the page for everyone else. Subject identifiers appear
only where `policy.can_view_identifiers` allows, and each display of them is audited.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from .. import policy, services
from ..filters import CaseFilter
from ..forms import NEW_SUBJECT, CaseForm, TransitionForm
from ..models import Assurance, Case, ProceedingEvent, SavedFilter
from ..models.cases import TRANSITIONS, CaseStatus, workflow_position
from ..selectors import case_timeline, nationality_consultation, offered_transitions
from ..services.saved_filters import register_filter_page
from .base import (
    CASE_PANELS,
    TIMELINE_SOURCES,
    ListPage,
    MemberPage,
    acting_organisation,
    carry_version,
    visible,
)
from .bulk import bulk_form
from .common import (
    NewRecordPage,
    RecordFormPage,
    case_or_404,
    require_right,
    show_identifiers,
    split_row_errors,
)
from .saved import list_parameters, saved_filters_context

R, A = policy.Resource, policy.Action


# --- the case list ---------------------------------------------------------------------------


_WORKFLOW = workflow_position()

COLUMNS = (
    ("reference", gettext_lazy("Reference")),
    ("", gettext_lazy("Subject")),
    ("", gettext_lazy("Owner")),
    ("", gettext_lazy("Requesting → requested state")),
    ("status", gettext_lazy("Status")),
    ("request_date", gettext_lazy("Request date")),
    ("changed", gettext_lazy("Last change")),
    ("", gettext_lazy("TLP")),
    ("", gettext_lazy("Distribution")),
)


class CaseList(ListPage):
    template_name = "cases/case_list.html"
    model = Case
    filterset_class = CaseFilter
    # Ties follow the reference in the same direction, so that each order and its reverse are
    # read off one index (Case.Meta.indexes).
    orderings = {
        "reference": ("reference",),
        "-reference": ("-reference",),
        "request_date": ("request_date", "reference"),
        "-request_date": ("-request_date", "-reference"),
        "status": (_WORKFLOW.asc(), "reference"),
        "-status": (_WORKFLOW.desc(), "-reference"),
        "changed": ("updated_at", "reference"),
        "-changed": ("-updated_at", "-reference"),
    }
    default_ordering = "-changed"

    def optimise(self, queryset):
        return queryset.select_related("owner", "subject", "requesting_state", "requested_state")

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        invalid = context["filter"] is not None and context["filter"].is_bound and not (
            context["filter"].is_valid())
        return self.render_to_response(context, status=400 if invalid else 200)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        org = acting_organisation(self.request)
        user = self.request.user
        context["columns"] = [self.column(key, label, context["sort"]) for key, label in COLUMNS]
        context["can_create"] = bool(org) and policy.has_right(user, org.pk, R.CASE, A.CREATE)
        context["can_create_subject"] = bool(org) and policy.has_right(
            user, org.pk, R.SUBJECT, A.CREATE)
        context["bulk_form"] = bulk_form(self.request)
        context["can_export"] = bool(org) and policy.has_right(user, org.pk, R.EXPORT, A.CREATE)
        context.update(saved_filters_context(self.request, SavedFilter.Page.CASES,
                                             context["query"]))
        return context

    @staticmethod
    def column(key: str, label, sort: str) -> dict:
        """A column heading: the link that sorts by it (toggling the direction)."""
        if not key:
            return {"label": label}
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        return {
            "label": label,
            "next": f"-{key}" if current and not descending else key,
            "aria_sort": ("descending" if descending else "ascending") if current else "",
        }


register_filter_page(SavedFilter.Page.CASES, url_name="cases:case_list",
                     parameters=lambda: list_parameters(CaseList), sorts=CaseList.orderings)


# --- the case page ---------------------------------------------------------------------------


KIND_LABELS = {
    "status": gettext_lazy("Status"),
    "proceeding": gettext_lazy("Proceeding"),
    "assurance": gettext_lazy("Assurance"),
    "recorded": gettext_lazy("Case"),
}


def _sort_key(entry: dict) -> tuple:
    """Dated entries by moment (dates before times of the same day); undated ones last."""
    when = entry.get("date")
    if when is None:
        return (0, datetime.date.min, datetime.time.min)
    if isinstance(when, datetime.datetime):
        if timezone.is_aware(when):
            when = timezone.localtime(when)
        return (1, when.date(), when.time())
    return (1, when, datetime.time.min)


def _status_label(value: str) -> str:
    try:
        return CaseStatus(value).label
    except ValueError:
        return value


def timeline(request, case: Case, owner_view: bool) -> list[dict]:
    """The case's own timeline and every registered source's, newest first."""
    entries = []
    for entry in case_timeline(case, owner_view=owner_view):
        entry = dict(entry)
        if entry["kind"] == "status":
            before, after = entry["detail"]["from"], entry["detail"]["to"]
            entry["summary"] = f"{_status_label(before)} → {_status_label(after)}"
            entry["note"] = entry["detail"].get("note", "")
            entry["actor"] = entry["detail"].get("actor", "")
        entries.append(entry)
    entries.append({"date": case.created_at, "kind": "recorded",
                    "summary": _("Recorded in the register")})
    for source in TIMELINE_SOURCES:
        entries.extend(dict(e) for e in source(request, case, owner_view))
    for entry in entries:
        entry["is_datetime"] = isinstance(entry.get("date"), datetime.datetime)
        entry["kind_label"] = entry.get("kind_label") or KIND_LABELS.get(
            entry["kind"], entry["kind"])
    entries.sort(key=_sort_key, reverse=True)
    return entries


def panels(request, case: Case) -> list[str]:
    """Every registered panel, rendered with its own context (and the case) in order."""
    out = []
    for panel in CASE_PANELS:
        extra = panel.context(request, case)
        html = render_to_string(panel.template, {"case": case, "panel": extra, **extra},
                                request=request)
        # Rendered by the template engine, which escaped every value.
        out.append(mark_safe(html))  # noqa: S308
    return out


class CaseDetail(MemberPage, TemplateView):
    template_name = "cases/case_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request, user = self.request, self.request.user
        case = case_or_404(request, self.kwargs["pk"], full=True)
        owner_view = policy.is_owner(user, case)
        owner = case.owner_id
        may = {
            "edit": policy.has_right(user, owner, R.CASE, A.CHANGE),
            "transition": policy.has_right(user, owner, R.CASE, A.TRANSITION)
            and bool(TRANSITIONS[case.status]),
            "add_assurance": policy.has_right(user, owner, R.ASSURANCE, A.CREATE),
            "edit_assurance": policy.has_right(user, owner, R.ASSURANCE, A.CHANGE),
            "delete_assurance": policy.has_right(user, owner, R.ASSURANCE, A.DELETE),
            "add_proceeding": policy.has_right(user, owner, R.PROCEEDING, A.CREATE),
            "edit_proceeding": policy.has_right(user, owner, R.PROCEEDING, A.CHANGE),
            "delete_proceeding": policy.has_right(user, owner, R.PROCEEDING, A.DELETE),
        }
        forward = offered_transitions(case)["forward"] if may["transition"] else []
        context.update(
            case=case,
            # One click for the next step, unless it asks for more than a date (a closure).
            next_status=(Case.Status(forward[0]) if forward
                         and forward[0] != Case.Status.MONITORING_CLOSED else None),
            owner_view=owner_view,
            identifiers=show_identifiers(request, case.subject),
            consultation=nationality_consultation(case),
            offences=list(case.offences.all()),
            named_recipients=list(case.named_recipients.all()) if owner_view else [],
            assurances=list(visible(request, Assurance).filter(case=case)
                            .order_by("given_on", "created_at")),
            proceedings=list(visible(request, ProceedingEvent).filter(case=case)
                             .select_related("consulted_state")),
            timeline=timeline(request, case, owner_view),
            panels=panels(request, case),
            may=may,
        )
        return context


class CaseCreate(NewRecordPage):
    form_class = CaseForm
    resource = R.CASE
    title = gettext_lazy("New case")
    submit_label = gettext_lazy("Create the case")

    def get_form_kwargs(self):
        # A subject page's "new case" link names the subject: the form starts with it.
        initial = {"subject": self.request.GET.get("subject", "")[:20]}
        return {"user": self.request.user, "organisation": self.organisation,
                "initial": initial}

    def perform(self, form):
        fields = form.service_fields()
        try:
            with transaction.atomic():
                # A person registered from the form exists only together with their case.
                new = form.new_subject()
                if new is not None:
                    fields["subject"] = self.register(new)
                case = services.case_create(
                    actor=self.request.user, organisation=self.organisation,
                    status=form.cleaned_data["status"], offences=form.rows.values(),
                    named_recipients=list(form.cleaned_data["named_recipients"]),
                    consent_override_reason=form.cleaned_data["consent_override_reason"],
                    **fields,
                )
        except ValidationError as error:
            raise split_row_errors(form, error, "offences") from None
        messages.success(self.request, _(
            "Case %(reference)s is recorded. Next, add the assurances given for the person.")
            % {"reference": case.reference})
        return reverse("cases:case_detail", kwargs={"pk": case.pk})

    def register(self, fields: dict):
        try:
            return services.subject_create(actor=self.request.user,
                                           organisation=self.organisation, **fields)
        except ValidationError as error:
            # The person's fields carry the form's prefix.
            raise ValidationError({NEW_SUBJECT + name: errors
                                   for name, errors in error.message_dict.items()}) from None


class CaseEdit(RecordFormPage):
    form_class = CaseForm
    template_name = "cases/edit_form.html"
    submit_label = gettext_lazy("Save the case")

    def prepare(self, request):
        self.case = case_or_404(request, self.kwargs["pk"])
        require_right(request, self.case.owner_id, R.CASE, A.CHANGE)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("Edit case %(reference)s") % {
            "reference": self.case.reference})
        return super().get_context_data(**kwargs)

    def get_form_kwargs(self):
        return {"user": self.request.user, "organisation": self.case.owner,
                "instance": self.case}

    def cancel_url(self):
        return reverse("cases:case_detail", kwargs={"pk": self.case.pk})

    def perform(self, form):
        data = form.cleaned_data
        # Not a field of the case: the service keeps it in the audit event of a share.
        extra = {"consent_override_reason": data["consent_override_reason"]}
        offences = form.rows.values()
        if offences != form.rows_initial():
            extra["offences"] = offences
        recipients = list(data["named_recipients"])
        if {u.pk for u in recipients} != {u.pk for u in self.case.named_recipients.all()}:
            extra["named_recipients"] = recipients
        try:
            services.case_update(actor=self.request.user, case=self.case,
                                 version=data["version"], **extra, **form.service_fields())
        except ValidationError as error:
            raise split_row_errors(form, error, "offences") from None
        return self.cancel_url()

    def conflict(self, form):
        return self.stale_fields(form, self.case)


class CaseTransitionPage(RecordFormPage):
    form_class = TransitionForm
    template_name = "cases/transition_form.html"
    submit_label = gettext_lazy("Change the status")

    def prepare(self, request):
        self.case = case_or_404(request, self.kwargs["pk"], full=True)
        require_right(request, self.case.owner_id, R.CASE, A.TRANSITION)

    def get_form_kwargs(self):
        return {"case": self.case}

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("Change the status of %(reference)s") % {
            "reference": self.case.reference})
        context = super().get_context_data(**kwargs)
        context.update(case=self.case, consultation=nationality_consultation(self.case),
                       allowed=TRANSITIONS[self.case.status])
        return context

    def cancel_url(self):
        return reverse("cases:case_detail", kwargs={"pk": self.case.pk})

    def perform(self, form):
        data = form.cleaned_data
        services.case_transition(
            actor=self.request.user, case=self.case, to=data["to"], on=data["date"],
            note=data["note"], closure_reason=data.get("closure_reason", ""),
            version=data["version"], start_monitoring=data["start_monitoring"],
        )
        return self.cancel_url()

    def conflict(self, form):
        sent_status = self.case.get_status_display()
        self.case = case_or_404(self.request, self.case.pk, full=True)
        carry_version(form, self.case.version)
        form.set_case(self.case)
        return [{"field": _("Status"), "stored": self.case.get_status_display(),
                 "sent": sent_status}]


urlpatterns = [
    path("cases/", CaseList.as_view(), name="case_list"),
    path("cases/new/", CaseCreate.as_view(), name="case_create"),
    path("cases/<uuid:pk>/", CaseDetail.as_view(), name="case_detail"),
    path("cases/<uuid:pk>/edit/", CaseEdit.as_view(), name="case_edit"),
    path("cases/<uuid:pk>/status/", CaseTransitionPage.as_view(), name="case_transition"),
]
