"""Pages of the case register: cases, their subjects, assurances and proceedings.

Every read starts from the policy's restricted querysets (a record out of sight is a 404), every
write goes through `cases.services`, and the fields the API keeps for the owner
(`owner_only_fields`) are left out of the page for everyone else. Subject identifiers appear
only where `policy.can_view_identifiers` allows, and each display of them is audited.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Value, When
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from .. import policy, services
from ..filters import CaseFilter, SubjectFilter
from ..forms import (
    AssuranceForm,
    CaseForm,
    ProceedingForm,
    SubjectForm,
    TransitionForm,
)
from ..models import Assurance, Case, ProceedingEvent, Subject
from ..models.cases import TRANSITIONS, CaseStatus
from ..selectors import case_prefetches, case_timeline, nationality_consultation
from .base import (
    CASE_PANELS,
    TIMELINE_SOURCES,
    ListPage,
    MemberPage,
    ServiceFormPage,
    acting_organisation,
    carry_version,
    changed_fields,
    memberships,
    visible,
    visible_or_404,
)

R, A = policy.Resource, policy.Action


# --- shared helpers --------------------------------------------------------------------------


def require_right(request, owner_id: int | None, resource, action) -> None:
    """A record the user sees but whose owner's rules do not let its role act: 403."""
    if not policy.has_right(request.user, owner_id, resource, action):
        raise PermissionDenied(_("Your role does not allow this."))


def case_or_404(request, pk, *, full: bool = False) -> Case:
    queryset = Case.objects.select_related(
        "owner", "subject", "requesting_state", "requested_state", "legal_instrument",
        "sharing_group",
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


# --- the case list ---------------------------------------------------------------------------


_WORKFLOW = SqlCase(
    *[When(status=status, then=Value(i)) for i, status in enumerate(CaseStatus.values)],
    output_field=IntegerField(),
)

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
    orderings = {
        "reference": ("reference",),
        "-reference": ("-reference",),
        "request_date": ("request_date", "reference"),
        "-request_date": ("-request_date", "reference"),
        "status": (_WORKFLOW.asc(), "reference"),
        "-status": (_WORKFLOW.desc(), "reference"),
        "changed": ("updated_at", "reference"),
        "-changed": ("-updated_at", "reference"),
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


# --- the case page ---------------------------------------------------------------------------


KIND_LABELS = {
    "status": gettext_lazy("Status"),
    "proceeding": gettext_lazy("Proceeding"),
    "assurance": gettext_lazy("Assurance"),
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
        context.update(
            case=case,
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


# --- case forms ------------------------------------------------------------------------------


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


class CaseCreate(RecordFormPage):
    form_class = CaseForm
    template_name = "cases/edit_form.html"
    title = gettext_lazy("New case")
    submit_label = gettext_lazy("Create the case")

    def prepare(self, request):
        self.organisation = acting_organisation(request)
        require_right(request, self.organisation.pk if self.organisation else None,
                      R.CASE, A.CREATE)

    def get_form_kwargs(self):
        # A subject page's "new case" link names the subject: the form starts with it.
        initial = {"subject": self.request.GET.get("subject", "")[:20]}
        return {"user": self.request.user, "organisation": self.organisation,
                "initial": initial}

    def cancel_url(self):
        return reverse("cases:case_list")

    def perform(self, form):
        try:
            case = services.case_create(
                actor=self.request.user, organisation=self.organisation,
                status=form.cleaned_data["status"], offences=form.rows.values(),
                named_recipients=list(form.cleaned_data["named_recipients"]),
                **form.service_fields(),
            )
        except ValidationError as error:
            raise split_row_errors(form, error, "offences") from None
        return reverse("cases:case_detail", kwargs={"pk": case.pk})


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
        extra = {}
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
            version=data["version"],
        )
        return self.cancel_url()

    def conflict(self, form):
        sent_status = self.case.get_status_display()
        self.case = case_or_404(self.request, self.case.pk, full=True)
        carry_version(form, self.case.version)
        form.set_case(self.case)
        return [{"field": _("Status"), "stored": self.case.get_status_display(),
                 "sent": sent_status}]


# --- subjects --------------------------------------------------------------------------------


class SubjectCreate(RecordFormPage):
    form_class = SubjectForm
    template_name = "cases/edit_form.html"
    title = gettext_lazy("New subject")
    submit_label = gettext_lazy("Create the subject")

    def prepare(self, request):
        self.organisation = acting_organisation(request)
        require_right(request, self.organisation.pk if self.organisation else None,
                      R.SUBJECT, A.CREATE)

    def cancel_url(self):
        return reverse("cases:case_list")

    def perform(self, form):
        try:
            subject = services.subject_create(
                actor=self.request.user, organisation=self.organisation,
                nationalities=form.rows.values(), **form.service_fields())
        except ValidationError as error:
            raise split_row_errors(form, error, "nationalities") from None
        return reverse("cases:subject_detail", kwargs={"pk": subject.pk})


class SubjectEdit(RecordFormPage):
    form_class = SubjectForm
    template_name = "cases/edit_form.html"
    submit_label = gettext_lazy("Save the subject")

    def prepare(self, request):
        self.subject = visible_or_404(request, Subject, pk=self.kwargs["pk"])
        require_right(request, self.subject.owner_id, R.SUBJECT, A.CHANGE)
        require_right(request, self.subject.owner_id, R.SUBJECT, A.VIEW_IDENTIFIERS)

    def get(self, request, *args, **kwargs):
        # The form shows the identifiers it edits.
        services.record_personal_data_views(actor=request.user, subjects=[self.subject])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("Edit subject %(reference)s") % {
            "reference": self.subject.reference})
        return super().get_context_data(**kwargs)

    def get_form_kwargs(self):
        return {"instance": self.subject}

    def cancel_url(self):
        return reverse("cases:subject_detail", kwargs={"pk": self.subject.pk})

    def perform(self, form):
        extra = {}
        nationalities = form.rows.values()
        if nationalities != form.rows_initial():
            extra["nationalities"] = nationalities
        try:
            services.subject_update(actor=self.request.user, subject=self.subject,
                                    version=form.cleaned_data["version"], **extra,
                                    **form.service_fields())
        except ValidationError as error:
            raise split_row_errors(form, error, "nationalities") from None
        return self.cancel_url()

    def conflict(self, form):
        return self.stale_fields(form, self.subject)


class SubjectOptions(MemberPage, TemplateView):
    """Suggestions for the subject field of the case form: at most `SHOWN` subjects of one of
    the user's organisations whose reference, or (where the role may see identifiers) name,
    contains what was typed. Names shown are personal-data views, audited as such."""

    template_name = "cases/includes/subject_options.html"
    SHOWN = 20

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        typed = (request.GET.get("subject") or "").strip()[:200]
        organisation = self.organisation()
        subjects = []
        # The API's search of subjects: references, and names only where the role may see them.
        search = SubjectFilter({"q": typed}, request=request,
                               queryset=visible(request, Subject).filter(owner=organisation))
        if organisation is not None and len(typed) >= 2 and search.is_valid():
            subjects = list(search.qs.order_by("reference")[:self.SHOWN])
            names = policy.has_right(request.user, organisation.pk, R.SUBJECT,
                                     A.VIEW_IDENTIFIERS)
            if names and subjects:
                services.record_personal_data_views(actor=request.user, subjects=subjects)
            context["names"] = names
        context["subjects"] = subjects
        return context

    def organisation(self):
        """The organisation named by slug, if the user is a member; else the acting one."""
        slug = self.request.GET.get("organisation")
        for org, _role in memberships(self.request):
            if org.slug == slug:
                return org
        return acting_organisation(self.request)


class SubjectDetail(MemberPage, TemplateView):
    template_name = "cases/subject_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        subject = visible_or_404(request, Subject, pk=self.kwargs["pk"])
        context.update(
            subject=subject,
            identifiers=show_identifiers(request, subject),
            nationalities=list(subject.nationalities.select_related("country")),
            cases=list(visible(request, Case).filter(subject=subject)
                       .select_related("requesting_state", "requested_state", "owner")
                       .order_by("reference")),
            can_edit=policy.has_right(request.user, subject.owner_id, R.SUBJECT, A.CHANGE),
            # The case form records for the acting organisation, so only its subjects.
            can_create_case=getattr(acting_organisation(request), "pk", None) == subject.owner_id
            and policy.has_right(request.user, subject.owner_id, R.CASE, A.CREATE),
        )
        return context


# --- assurances and proceedings --------------------------------------------------------------


class ChildCreate(RecordFormPage):
    """A new assurance or proceeding on a case the user sees and whose owner lets it add."""

    resource: policy.Resource
    service = None
    noun = ""

    def prepare(self, request):
        self.case = case_or_404(request, self.kwargs["pk"])
        require_right(request, self.case.owner_id, self.resource, A.CREATE)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("New %(noun)s on %(reference)s") % {
            "noun": self.noun, "reference": self.case.reference})
        return super().get_context_data(**kwargs)

    def cancel_url(self):
        return reverse("cases:case_detail", kwargs={"pk": self.case.pk})

    def perform(self, form):
        type(self).service(actor=self.request.user, case=self.case, **form.service_fields())
        return self.cancel_url()


class ChildEdit(RecordFormPage):
    model = None
    resource: policy.Resource
    service = None
    object_name = ""
    noun = ""

    def prepare(self, request):
        self.record = visible_or_404(request, self.model, pk=self.kwargs["pk"])
        require_right(request, self.record.case.owner_id, self.resource, A.CHANGE)

    def get_form_kwargs(self):
        return {"instance": self.record}

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("Edit %(noun)s on %(reference)s") % {
            "noun": self.noun, "reference": self.record.case.reference})
        return super().get_context_data(**kwargs)

    def cancel_url(self):
        return reverse("cases:case_detail", kwargs={"pk": self.record.case_id})

    def perform(self, form):
        type(self).service(actor=self.request.user, **{self.object_name: self.record},
                           version=form.cleaned_data["version"], **form.service_fields())
        return self.cancel_url()

    def conflict(self, form):
        return self.stale_fields(form, self.record)


class ChildDelete(MemberPage, TemplateView):
    """GET: what will be deleted, and a button; POST: the service deletes it."""

    template_name = "cases/confirm_delete.html"
    model = None
    resource: policy.Resource
    service = None
    object_name = ""
    noun = ""

    def may(self, request) -> bool:
        self.record = visible_or_404(request, self.model, pk=self.kwargs["pk"])
        require_right(request, self.record.case.owner_id, self.resource, A.DELETE)
        return True

    def case_url(self) -> str:
        return reverse("cases:case_detail", kwargs={"pk": self.record.case_id})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(record=self.record, noun=self.noun, cancel_url=self.case_url(),
                       title=_("Delete this %(noun)s?") % {"noun": self.noun})
        return context

    def post(self, request, *args, **kwargs):
        try:
            type(self).service(actor=request.user, **{self.object_name: self.record})
        except ValidationError as error:
            return self.render_to_response(
                self.get_context_data(errors=error.messages), status=400)
        return redirect(self.case_url())


class AssuranceCreate(ChildCreate):
    form_class = AssuranceForm
    resource = R.ASSURANCE
    service = services.assurance_create
    noun = gettext_lazy("assurance")
    submit_label = gettext_lazy("Add the assurance")


class AssuranceEdit(ChildEdit):
    form_class = AssuranceForm
    model = Assurance
    resource = R.ASSURANCE
    service = services.assurance_update
    object_name = "assurance"
    noun = gettext_lazy("assurance")


class AssuranceDelete(ChildDelete):
    model = Assurance
    resource = R.ASSURANCE
    service = services.assurance_delete
    object_name = "assurance"
    noun = gettext_lazy("assurance")


class ProceedingCreate(ChildCreate):
    form_class = ProceedingForm
    resource = R.PROCEEDING
    service = services.proceeding_create
    noun = gettext_lazy("proceeding")
    submit_label = gettext_lazy("Add the proceeding")


class ProceedingEdit(ChildEdit):
    form_class = ProceedingForm
    model = ProceedingEvent
    resource = R.PROCEEDING
    service = services.proceeding_update
    object_name = "proceeding"
    noun = gettext_lazy("proceeding")


class ProceedingDelete(ChildDelete):
    model = ProceedingEvent
    resource = R.PROCEEDING
    service = services.proceeding_delete
    object_name = "proceeding"
    noun = gettext_lazy("proceeding")


urlpatterns = [
    path("cases/", CaseList.as_view(), name="case_list"),
    path("cases/new/", CaseCreate.as_view(), name="case_create"),
    path("cases/<uuid:pk>/", CaseDetail.as_view(), name="case_detail"),
    path("cases/<uuid:pk>/edit/", CaseEdit.as_view(), name="case_edit"),
    path("cases/<uuid:pk>/status/", CaseTransitionPage.as_view(), name="case_transition"),
    path("cases/<uuid:pk>/assurances/new/", AssuranceCreate.as_view(),
         name="assurance_create"),
    path("cases/assurances/<uuid:pk>/edit/", AssuranceEdit.as_view(), name="assurance_edit"),
    path("cases/assurances/<uuid:pk>/delete/", AssuranceDelete.as_view(),
         name="assurance_delete"),
    path("cases/<uuid:pk>/proceedings/new/", ProceedingCreate.as_view(),
         name="proceeding_create"),
    path("cases/proceedings/<uuid:pk>/edit/", ProceedingEdit.as_view(),
         name="proceeding_edit"),
    path("cases/proceedings/<uuid:pk>/delete/", ProceedingDelete.as_view(),
         name="proceeding_delete"),
    path("subjects/new/", SubjectCreate.as_view(), name="subject_create"),
    path("subjects/options/", SubjectOptions.as_view(), name="subject_options"),
    path("subjects/<uuid:pk>/", SubjectDetail.as_view(), name="subject_detail"),
    path("subjects/<uuid:pk>/edit/", SubjectEdit.as_view(), name="subject_edit"),
]
