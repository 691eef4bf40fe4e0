"""Follow-ups after surrender: the list, one follow-up, its changes, and the check report that
completes it (with a finding per assurance and evidence files, all or nothing).

What the API's FollowUpSerializer and CheckReportSerializer keep from other organisations
(assignee, note, the report's free text) these pages keep from them too.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from django_filters import DateFilter

from cases import policy
from cases.models import Assurance, Membership, SavedFilter
from cases.services.saved_filters import register_filter_page
from cases.views.base import (
    ListPage,
    MemberPage,
    ServiceFormPage,
    stale_edit,
    visible,
    visible_or_404,
)
from cases.views.saved import list_parameters, saved_filters_context

from .. import services
from ..api.serializers import REPORT_OWNER_ONLY
from ..filters import FollowUpFilter
from ..forms import DATETIME_FORMAT, CheckReportForm, FollowUpEditForm
from ..models import CheckReport, Evidence, Finding, FollowUp

Action = policy.Action
Resource = policy.Resource
REPORTABLE = (*FollowUp.OPEN, FollowUp.Status.MISSED)
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")




def may_monitor(user, case, action: Action) -> bool:
    """Whether the user's role in the case's owner allows `action` on its monitoring."""
    return policy.has_right(user, case.owner_id, Resource.MONITORING, action)


def same(sent, stored) -> bool:
    """Equal as the form shows them: a moment to the minute."""
    if isinstance(sent, datetime.datetime) and isinstance(stored, datetime.datetime):
        return sent.replace(second=0, microsecond=0) == stored.replace(second=0, microsecond=0)
    return sent == stored


class FollowUpPage(MemberPage):
    """A page about one follow-up the user may see (else 404); `need` is the right on the
    owner's monitoring the page needs (else 403)."""

    need: Action | None = None

    def may(self, request) -> bool:
        self.follow_up = visible_or_404(
            request, FollowUp.objects.select_related("case__subject", "assignee", "plan"),
            pk=self.kwargs["pk"],
        )
        if self.need and not may_monitor(request.user, self.follow_up.case, self.need):
            raise PermissionDenied(_("Only the owning organisation's caseworkers do this."))
        return True


# --- the list --------------------------------------------------------------------------------


class FollowUpPageFilter(FollowUpFilter):
    """The API's filters, less those that name people or list cases, with dates for the due
    range (whole days, as people pick them)."""

    due_after = DateFilter(field_name="due_at", lookup_expr="date__gte",
                           label=gettext_lazy("Due from"),
                           widget=DATE_INPUT)
    due_before = DateFilter(field_name="due_at", lookup_expr="date__lte",
                            label=gettext_lazy("Due until"),
                            widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("assignee", "case", "due"):
            self.filters.pop(name, None)
        self.filters["status"].label = gettext_lazy("Status")
        self.filters["kind"].label = gettext_lazy("Kind")
        self.filters["mine"].label = gettext_lazy("Assigned to me")


class FollowUpList(ListPage):
    model = FollowUp
    filterset_class = FollowUpPageFilter
    template_name = "monitoring/follow_up_list.html"
    # Open follow-ups come first whichever way the dates run; completed ones after them. Ties
    # follow the id the way the dates run: each order is read off an index (FollowUp.Meta).
    orderings = {"due": (FollowUp.open_first(), "due_at", "pk"),
                 "-due": (FollowUp.open_first(), "-due_at", "-pk")}
    default_ordering = "due"

    def optimise(self, queryset):
        return queryset.select_related("case", "assignee")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["owner_ids"] = set(policy.roles(user))
        context["reporting_ids"] = set(
            policy.organisations_with(user, Resource.MONITORING, Action.CREATE))
        context["reportable"] = REPORTABLE
        context.update(saved_filters_context(self.request, SavedFilter.Page.FOLLOW_UPS,
                                             context["query"]))
        return context


register_filter_page(SavedFilter.Page.FOLLOW_UPS, url_name="monitoring:follow_up_list",
                     parameters=lambda: list_parameters(FollowUpList),
                     sorts=FollowUpList.orderings)


# --- one follow-up ---------------------------------------------------------------------------


class FollowUpDetail(FollowUpPage, TemplateView):
    template_name = "monitoring/follow_up_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request, follow_up = self.request, self.follow_up
        case = follow_up.case
        report = visible(request, CheckReport).filter(follow_up=follow_up).first()
        context.update(
            follow_up=follow_up,
            case=case,
            is_owner=policy.is_owner(request.user, case),
            may_edit=follow_up.status in FollowUp.OPEN
            and may_monitor(request.user, case, Action.CHANGE),
            may_report=follow_up.status in REPORTABLE
            and may_monitor(request.user, case, Action.CREATE),
            report=report,
            owner_only=REPORT_OWNER_ONLY,
            findings=list(
                visible(request, Finding).filter(report=report).select_related("assurance")
            ) if report else [],
            evidence=list(visible(request, Evidence).filter(report=report)) if report else [],
        )
        return context


class FollowUpEdit(FollowUpPage, ServiceFormPage):
    need = Action.CHANGE
    form_class = FollowUpEditForm
    submit_label = gettext_lazy("Save the follow-up")

    def may(self, request) -> bool:
        super().may(request)
        if self.follow_up.status not in FollowUp.OPEN:
            raise PermissionDenied(_("Only an open follow-up can be changed."))
        return True

    def get_form_kwargs(self) -> dict:
        owner_members = visible(self.request, Membership).filter(
            organisation_id=self.follow_up.case.owner_id)
        colleagues = get_user_model().objects.filter(
            pk__in=owner_members.values("user_id")).order_by("username")
        return {"colleagues": colleagues, "initial": self.current()}

    def current(self) -> dict:
        f = self.follow_up
        return {"assignee": f.assignee, "window_opens_at": f.window_opens_at, "due_at": f.due_at,
                "note": f.note, "version": f.version}

    def perform(self, form):
        data = form.cleaned_data
        current = self.current()
        changes = {name: data[name] for name in ("assignee", "window_opens_at", "due_at", "note")
                   if not same(data[name], current[name])}
        if data["cancel"]:
            changes["status"] = FollowUp.Status.CANCELLED
        services.follow_up_update(actor=self.request.user, follow_up=self.follow_up,
                                  version=data["version"], **changes)
        messages.success(self.request, _("The follow-up was saved."))
        return reverse("monitoring:follow_up_detail", args=[self.follow_up.pk])

    def conflict(self, form) -> list[dict]:
        self.follow_up.refresh_from_db()
        return stale_edit(form, self.current())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Change the follow-up of %(case)s") % {
            "case": self.follow_up.case.reference}
        context["cancel_url"] = reverse("monitoring:follow_up_detail", args=[self.follow_up.pk])
        return context


# --- the check report ------------------------------------------------------------------------


class FollowUpReport(FollowUpPage, ServiceFormPage):
    """The report of the check, its findings and evidence: stored together or not at all."""

    need = Action.CREATE
    form_class = CheckReportForm
    template_name = "monitoring/follow_up_report.html"
    submit_label = gettext_lazy("File the report")

    def get_form_kwargs(self) -> dict:
        follow_up = self.follow_up
        plan = follow_up.plan
        return {
            "assurances": visible(self.request, Assurance).filter(case=follow_up.case)
            .order_by("created_at", "pk"),
            "initial": {
                "checked_at": timezone.now().strftime(DATETIME_FORMAT),
                "custody_phase": plan.custody_phase if plan else "",
            },
        }

    def perform(self, form):
        actor, follow_up = self.request.user, self.follow_up
        stored: list[Evidence] = []
        try:
            with transaction.atomic():
                report = services.report_submit(
                    actor=actor, follow_up=follow_up, findings=form.findings(),
                    **form.report_fields(),
                )
                for upload in form.cleaned_data["evidence"]:
                    stored.append(self.upload(report, upload, form.cleaned_data["keep_location"]))
        except Exception:
            # The rows are rolled back; the files already written are not.
            for evidence in stored:
                evidence.file.delete(save=False)
            raise
        messages.success(self.request, _("The report was filed."))
        return reverse("monitoring:follow_up_detail", args=[follow_up.pk])

    def upload(self, report, upload, keep_location: bool) -> Evidence:
        try:
            return services.evidence_upload(actor=self.request.user, report=report, file=upload,
                                            keep_location=keep_location)
        except ValidationError as error:
            raise ValidationError({"evidence": [
                _("%(name)s: %(error)s") % {"name": upload.name, "error": message}
                for message in error.messages
            ]}) from error

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        follow_up = self.follow_up
        context.update(
            follow_up=follow_up,
            case=follow_up.case,
            title=_("Report the check on %(case)s") % {"case": follow_up.case.reference},
            reportable=follow_up.status in REPORTABLE,
            cancel_url=reverse("monitoring:follow_up_detail", args=[follow_up.pk]),
        )
        return context


urlpatterns = [
    path("follow-ups/", FollowUpList.as_view(), name="follow_up_list"),
    path("follow-ups/<uuid:pk>/", FollowUpDetail.as_view(), name="follow_up_detail"),
    path("follow-ups/<uuid:pk>/edit/", FollowUpEdit.as_view(), name="follow_up_edit"),
    path("follow-ups/<uuid:pk>/report/", FollowUpReport.as_view(), name="follow_up_report"),
]
