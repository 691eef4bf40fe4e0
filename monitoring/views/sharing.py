"""Findings across organisations, and the user's own notifications: one finding with its
comments, the owner's sharing of it, a recipient passing it on (and taking it back), what was
newly shared with the user's organisations, and notifications with their e-mail preferences.

Outside the owner a finding shows its case's pseudonymous references only, and its evidence
summary only when the owner marked it shareable (as the API's FindingSerializer).
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from cases import policy
from cases.models import SavedFilter, SharingGroup
from cases.models.sharing import TLP
from cases.services.saved_filters import register_filter_page
from cases.views.base import (
    PAGE_SIZE,
    ActionPage,
    CountedSoFar,
    ListPage,
    MemberPage,
    ServiceFormPage,
    acting_organisation,
    apply_service_errors,
    safe_next,
    stale_edit,
    visible,
    visible_or_404,
)
from cases.views.saved import saved_filters_context

from .. import services
from ..filters import NotificationFilter
from ..forms import (
    CommentForm,
    FindingShareForm,
    InboxForm,
    NotificationPreferencesForm,
    ReshareForm,
)
from ..models import Finding, FindingComment, FindingShare, Notification, NotificationPreference
from ..selectors import inbox_cases, inbox_findings
from .checks import may_monitor

Action = policy.Action
Resource = policy.Resource
INBOX_DAYS = 30
INBOX_SHOWN = 100


def finding_url(finding_id) -> str:
    return reverse("monitoring:finding_detail", args=[finding_id])


def acting_right(request, action: Action):
    """The acting organisation, when the user's role in it allows `action` on monitoring."""
    org = acting_organisation(request)
    if org is not None and policy.has_right(request.user, org.pk, Resource.MONITORING, action):
        return org
    return None


class FindingPage(MemberPage):
    """A page about one finding the user may see (else 404); `need` is the right on the
    owner's monitoring the page needs (else 403)."""

    need: Action | None = None

    def may(self, request) -> bool:
        self.finding = visible_or_404(
            request, Finding.objects.select_related(
                "case__subject", "case__requesting_state", "assurance", "report",
                "sharing_group"),
            pk=self.kwargs["pk"],
        )
        if self.need and not may_monitor(request.user, self.finding.case, self.need):
            raise PermissionDenied(_("Only the owning organisation's caseworkers do this."))
        return True


# --- one finding -----------------------------------------------------------------------------


class FindingDetail(FindingPage, TemplateView):
    """The structured finding, its comments, and a comment form for those who may comment."""

    template_name = "monitoring/finding_detail.html"

    def post(self, request, *args, **kwargs):
        org = acting_right(request, Action.COMMENT)
        if org is None:
            raise PermissionDenied(_("Your role does not allow comments."))
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                services.finding_comment_create(actor=request.user, finding=self.finding,
                                                organisation=org, text=form.cleaned_data["text"])
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Your comment was added."))
                return redirect(f"{finding_url(self.finding.pk)}#comments")
        return self.render_to_response(self.get_context_data(comment_form=form), status=400)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request, finding = self.request, self.finding
        owner = policy.is_owner(request.user, finding.case)
        commenting = acting_right(request, Action.COMMENT)
        reshares = list(
            visible(request, FindingShare).filter(finding=finding, withdrawn_at__isnull=True)
            .select_related("organisation", "sharing_group")
        )
        for share in reshares:
            share.may_withdraw = policy.has_right(
                request.user, share.organisation_id, Resource.MONITORING, Action.SHARE
            ) or may_monitor(request.user, finding.case, Action.CHANGE)
        context.update(
            finding=finding,
            case=finding.case,
            is_owner=owner,
            show_summary=owner or finding.summary_shareable,
            may_share=may_monitor(request.user, finding.case, Action.CHANGE),
            may_reshare=reshare_refusal(request, finding) is None,
            comments=list(visible(request, FindingComment).filter(finding=finding)
                          .select_related("organisation", "author")),
            comment_form=kwargs.get("comment_form") or (CommentForm() if commenting else None),
            reshares=reshares,
        )
        return context


class FindingShareEdit(FindingPage, ServiceFormPage):
    """The owner decides how far the finding travels: share, narrow or withdraw."""

    need = Action.CHANGE
    form_class = FindingShareForm
    submit_label = gettext_lazy("Save the sharing")

    def current(self) -> dict:
        f = self.finding
        return {"distribution": f.distribution, "sharing_group": f.sharing_group, "tlp": f.tlp,
                "summary_shareable": f.summary_shareable, "version": f.version}

    def get_form_kwargs(self) -> dict:
        return {"groups": visible(self.request, SharingGroup).order_by("name"),
                "initial": self.current()}

    def perform(self, form):
        services.finding_share(actor=self.request.user, finding=self.finding, **form.cleaned_data)
        messages.success(self.request, _("The finding's sharing was saved."))
        return finding_url(self.finding.pk)

    def conflict(self, form) -> list[dict]:
        self.finding.refresh_from_db()
        return stale_edit(form, self.current())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Share the finding on %(case)s") % {
            "case": self.finding.case.reference}
        context["cancel_url"] = finding_url(self.finding.pk)
        return context


def reshare_refusal(request, finding) -> str | None:
    """Why the user may not pass this finding on, or None when it may."""
    org = acting_right(request, Action.SHARE)
    if org is None or org.pk == finding.case.owner_id:
        return _("Only a liaison or an administrator of an organisation the finding was shared "
                 "with passes it on; its owner shares it by changing its distribution.")
    if finding.tlp not in services.RESHARE_ALLOWED:
        return _("%(label)s does not let recipients pass this finding beyond their "
                 "organisation.") % {"label": TLP(finding.tlp).label}
    return None


class FindingReshare(FindingPage, ServiceFormPage):
    """A recipient passes a GREEN or CLEAR finding on to its own group or the network."""

    form_class = ReshareForm
    submit_label = gettext_lazy("Pass it on")

    def may(self, request) -> bool:
        super().may(request)
        refusal = reshare_refusal(request, self.finding)
        if refusal:
            raise PermissionDenied(refusal)
        self.organisation = acting_organisation(request)
        return True

    def get_form_kwargs(self) -> dict:
        groups = visible(self.request, SharingGroup).filter(
            memberships__organisation=self.organisation).order_by("name")
        return {"groups": groups}

    def perform(self, form):
        services.finding_reshare(actor=self.request.user, finding=self.finding,
                                 organisation=self.organisation, **form.cleaned_data)
        messages.success(self.request, _("The finding was passed on."))
        return finding_url(self.finding.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Pass on the finding on %(case)s") % {
            "case": self.finding.case.reference}
        context["cancel_url"] = finding_url(self.finding.pk)
        return context


class FindingReshareWithdraw(ActionPage):
    """Who passed a finding on, or its owner, takes it back: recipients lose it at once."""

    success_message = gettext_lazy("The finding is no longer passed on.")

    def act(self, request, pk) -> str:
        share = visible_or_404(request, FindingShare.objects.select_related("finding__case"),
                               pk=pk)
        services.finding_reshare_withdraw(actor=request.user, share=share)
        return finding_url(share.finding_id)


# --- what was newly shared -------------------------------------------------------------------


class Inbox(MemberPage, TemplateView):
    """What was newly shared with the user's organisations: the cases, and the findings
    grouped by case, a page of findings at a time."""

    template_name = "monitoring/inbox.html"

    def get(self, request, *args, **kwargs):
        form = InboxForm({k: v for k, v in request.GET.items() if k != "page"} or None)
        default = timezone.localdate() - datetime.timedelta(days=INBOX_DAYS)
        if form.is_bound and not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        day = (form.cleaned_data.get("since") if form.is_bound else None) or default
        since = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
        organisation_ids = list(policy.roles(request.user))
        findings = inbox_findings(request.user, since=since, organisation_ids=organisation_ids)
        asked = request.GET.get("page")
        page = CountedSoFar(findings, PAGE_SIZE, asked).get_page(asked)
        cases = inbox_cases(request.user, since=since, organisation_ids=organisation_ids)
        query = request.GET.copy()
        query.pop("page", None)
        if not form.is_bound:
            form = InboxForm(initial={"since": default})
        return self.render_to_response(self.get_context_data(
            form=form, cases=list(cases[:INBOX_SHOWN]), page=page, since=day,
            query=query.urlencode(),
            **saved_filters_context(request, SavedFilter.Page.FINDINGS, query.urlencode())))


register_filter_page(SavedFilter.Page.FINDINGS, url_name="monitoring:inbox",
                     parameters=lambda: InboxForm.base_fields)


# --- notifications ---------------------------------------------------------------------------


class NotificationList(ListPage):
    """The user's own notifications, unread first."""

    model = Notification
    filterset_class = NotificationFilter
    template_name = "monitoring/notification_list.html"
    orderings = {
        "unread": (F("read_at").asc(nulls_first=True), "-created_at", "-id"),
        "newest": ("-created_at", "-id"),
    }
    default_ordering = "unread"

    def optimise(self, queryset):
        return queryset.select_related("case", "follow_up")


class NotificationRead(MemberPage, View):
    """Mark one notification read: back to the list, or (with HTMX) the row alone."""

    http_method_names = ["post"]

    def post(self, request, pk):
        notification = visible_or_404(request, Notification.objects.select_related("case"),
                                      pk=pk)
        services.notification_mark_read(actor=request.user, notification=notification)
        if request.htmx:
            return TemplateResponse(request, "monitoring/includes/notification_row.html",
                                    {"notification": notification})
        return redirect(safe_next(request, request.POST.get("next"),
                                  reverse("monitoring:notification_list")))


class NotificationPreferences(ServiceFormPage):
    """Which alerts also come by e-mail (all of them unless turned off)."""

    form_class = NotificationPreferencesForm
    title = gettext_lazy("Notifications by e-mail")
    submit_label = gettext_lazy("Save the preferences")

    def get_form_kwargs(self) -> dict:
        # The user's own preferences: not case data.
        chosen = dict(NotificationPreference.objects.filter(user=self.request.user)
                      .values_list("kind", "email"))
        return {"initial": {kind: chosen.get(kind, True) for kind in Notification.Kind.values}}

    def perform(self, form):
        services.notification_preferences_set(actor=self.request.user,
                                              preferences=form.preferences())
        messages.success(self.request, _("Your preferences were saved."))
        return reverse("monitoring:notification_list")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = reverse("monitoring:notification_list")
        return context


urlpatterns = [
    path("findings/<uuid:pk>/", FindingDetail.as_view(), name="finding_detail"),
    path("findings/<uuid:pk>/share/", FindingShareEdit.as_view(), name="finding_share"),
    path("findings/<uuid:pk>/pass-on/", FindingReshare.as_view(), name="finding_reshare"),
    path("findings/passed-on/<uuid:pk>/withdraw/", FindingReshareWithdraw.as_view(),
         name="finding_reshare_withdraw"),
    path("shared-with-us/", Inbox.as_view(), name="inbox"),
    path("notifications/", NotificationList.as_view(), name="notification_list"),
    path("notifications/<int:pk>/read/", NotificationRead.as_view(), name="notification_read"),
    path("notifications/preferences/", NotificationPreferences.as_view(),
         name="notification_preferences"),
]
