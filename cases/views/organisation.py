"""Pages of an organisation's own affairs: its audit log, its settings, its members and its
sharing groups.

Settings, members and the audit log are for the acting organisation's admins (and, for the log, its
auditors): for anyone else they do not exist (404). Sharing groups are seen by the members of
the groups; only admins of the owner change or delete a group, and an admin of a member
organisation may take it out of a group.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import invitations, policy, services
from ..filters import AuditEventFilter
from ..forms_organisation import (
    MemberAddForm,
    MemberEditForm,
    OrganisationSettingsForm,
    SharingGroupForm,
)
from ..models import AuditEvent, Invitation, Membership, Organisation, SharingGroup
from ..services.organisations import organisation_share_without_consent_set
from .base import (
    ActionPage,
    ListPage,
    MemberPage,
    ServiceFormPage,
    acting_organisation,
    carry_version,
    changed_fields,
    visible,
    visible_or_404,
)

Resource, Action, Role = policy.Resource, policy.Action, Membership.Role


def _bound_status(context) -> int:
    """A list whose filters were refused answers 400, with the messages next to them."""
    filterset = context.get("filter")
    return 400 if filterset is not None and filterset.is_bound and not filterset.is_valid() \
        else 200


# --- the audit log ---------------------------------------------------------------------------


class AuditLog(ListPage):
    template_name = "cases/organisation/audit_log.html"
    model = AuditEvent
    filterset_class = AuditEventFilter
    orderings = {"-seq": ("-seq",), "seq": ("seq",)}
    default_ordering = "-seq"

    def may(self, request) -> bool:
        return bool(policy.organisations_with(request.user, Resource.AUDIT_EVENT,
                                              Action.VIEW_AUDIT))

    def optimise(self, queryset):
        return queryset.select_related("organisation")

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=_bound_status(context))


# --- members ---------------------------------------------------------------------------------


class AdminPage(MemberPage):
    """For the acting organisation's admins only; others get a 404."""

    def may(self, request) -> bool:
        org = acting_organisation(request)
        return org is not None and policy.has_right(request.user, org.pk, Resource.MEMBERSHIP,
                                                    Action.MANAGE_MEMBERS)

    def organisation(self) -> Organisation:
        return acting_organisation(self.request)

    def grantable(self) -> list[tuple[str, str]]:
        org = self.organisation()
        return [(r.value, r.label) for r in Role if policy.may_grant(self.request.user, org.pk, r)]

    def membership(self) -> Membership:
        return visible_or_404(self.request, Membership, pk=self.kwargs["pk"],
                              organisation_id=self.organisation().pk)


class OrganisationSettings(AdminPage, ServiceFormPage):
    """What the organisation decides for all its members: whether a record whose subject
    withheld consent to share may still be shared, with a reason."""

    form_class = OrganisationSettingsForm
    submit_label = gettext_lazy("Save the settings")

    def get_form_kwargs(self) -> dict:
        return {"initial": {"share_without_consent": self.organisation().share_without_consent}}

    def perform(self, form):
        organisation_share_without_consent_set(
            actor=self.request.user, organisation=self.organisation(),
            rule=form.cleaned_data["share_without_consent"])
        messages.success(self.request, _("The settings were saved."))
        return reverse("cases:organisation_settings")

    def get_context_data(self, **kwargs):
        title = _("Settings of %(organisation)s") % {"organisation": self.organisation().name}
        return super().get_context_data(title=title, cancel_url=reverse("cases:member_list"),
                                        **kwargs)


class MemberList(AdminPage, ListPage):
    template_name = "cases/organisation/member_list.html"
    model = Membership
    orderings = {"username": ("user__username",), "role": ("role", "user__username")}
    default_ordering = "username"

    def base_queryset(self):
        return visible(self.request, Membership).filter(organisation=self.organisation())

    def optimise(self, queryset):
        return queryset.select_related("user")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["invitations"] = visible(self.request, Invitation).filter(
            organisation=self.organisation(), status=Invitation.Status.PENDING,
        ).select_related("user", "invited_by").order_by("-created_at")
        return context


class MemberAdd(AdminPage, ServiceFormPage):
    form_class = MemberAddForm
    title = gettext_lazy("Add a member")
    submit_label = gettext_lazy("Add")

    def get_form_kwargs(self) -> dict:
        return {"roles": self.grantable()}

    def perform(self, form):
        username = form.cleaned_data["user"]
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise ValidationError({"user": _("No one has this username.")})
        organisation, role = self.organisation(), form.cleaned_data["role"]
        if services.belongs_elsewhere(organisation, user):
            # Nobody is attached to an organisation without knowing it: they accept first.
            invitations.invitation_create(actor=self.request.user, organisation=organisation,
                                          user=user, role=role)
            messages.success(self.request, _(
                "%(user)s belongs to another organisation: they were invited, and become a "
                "member once they accept.") % {"user": user.username})
        else:
            services.membership_create(actor=self.request.user, organisation=organisation,
                                       user=user, role=role)
        return reverse("cases:member_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(cancel_url=reverse("cases:member_list"), **kwargs)


class MemberEdit(AdminPage, ServiceFormPage):
    form_class = MemberEditForm
    submit_label = gettext_lazy("Save the role")

    def get_form(self, data=None, files=None):
        self.current = self.membership()
        initial = {"role": self.current.role, "version": self.current.version}
        return MemberEditForm(data, roles=self.grantable(), initial=initial)

    def perform(self, form):
        services.membership_update(actor=self.request.user, membership=self.current,
                                   version=form.cleaned_data["version"],
                                   role=form.cleaned_data["role"])
        return reverse("cases:member_list")

    def conflict(self, form) -> list[dict]:
        stored = visible_or_404(self.request, Membership, pk=self.current.pk)
        carry_version(form, stored.version)
        return changed_fields(form, {"role": stored.role})

    def get_context_data(self, **kwargs):
        title = _("Role of %(user)s") % {"user": self.current.user.username}
        return super().get_context_data(title=title, cancel_url=reverse("cases:member_list"),
                                        **kwargs)


class InvitationCancel(AdminPage, ActionPage):
    success_message = gettext_lazy("The invitation was cancelled.")

    def act(self, request, *args, **kwargs) -> str:
        invitation = visible_or_404(request, Invitation, pk=kwargs["pk"],
                                    organisation_id=self.organisation().pk)
        invitations.invitation_cancel(actor=request.user, invitation=invitation)
        return reverse("cases:member_list")


class MemberRemove(AdminPage, ActionPage):
    success_message = gettext_lazy("The member was removed.")

    def act(self, request, *args, **kwargs) -> str:
        services.membership_delete(actor=request.user, membership=self.membership())
        return reverse("cases:member_list")


# --- sharing groups --------------------------------------------------------------------------


def _manages(user, organisation_id) -> bool:
    return policy.has_right(user, organisation_id, Resource.SHARING_GROUP,
                            Action.MANAGE_SHARING_GROUPS)


class GroupList(ListPage):
    template_name = "cases/organisation/group_list.html"
    model = SharingGroup
    orderings = {"name": ("name", "pk")}
    default_ordering = "name"

    def optimise(self, queryset):
        return queryset.select_related("owner").prefetch_related(
            Prefetch("members", queryset=Organisation.objects.order_by("name")))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, org = self.request.user, acting_organisation(self.request)
        acting = org.pk if org is not None else None
        context["groups"] = [
            {"group": group, "manage": _manages(user, group.owner_id),
             # Leaving is for an admin of a member organisation that is not the owner.
             "leave": acting is not None and acting != group.owner_id
             and _manages(user, acting) and any(m.pk == acting for m in group.members.all())}
            for group in context["rows"]
        ]
        context["may_create"] = acting is not None and _manages(user, acting)
        return context


class GroupCreate(ServiceFormPage):
    form_class = SharingGroupForm
    title = gettext_lazy("New sharing group")
    submit_label = gettext_lazy("Create the group")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            org = acting_organisation(request)
            if org is None or not _manages(request.user, org.pk):
                raise PermissionDenied(_("Only your organisation's admins create groups."))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict:
        return {"owner": acting_organisation(self.request)}

    def perform(self, form):
        data = form.cleaned_data
        services.sharing_group_create(
            actor=self.request.user, organisation=acting_organisation(self.request),
            name=data["name"], description=data["description"], members=list(data["members"]))
        return reverse("cases:group_list")

    def get_context_data(self, **kwargs):
        return super().get_context_data(cancel_url=reverse("cases:group_list"), **kwargs)


class GroupPage(MemberPage):
    def group(self) -> SharingGroup:
        """The group, if the user sees it (404) and administers its owner (403)."""
        group = visible_or_404(self.request, SharingGroup, pk=self.kwargs["pk"])
        if not _manages(self.request.user, group.owner_id):
            raise PermissionDenied(_("Only the owner's admins change this group."))
        return group


class GroupEdit(GroupPage, ServiceFormPage):
    form_class = SharingGroupForm
    submit_label = gettext_lazy("Save the group")

    def get_form(self, data=None, files=None):
        self.current = self.group()
        initial = {"name": self.current.name, "description": self.current.description,
                   "members": [m for m in self.current.members.all()
                               if m.pk != self.current.owner_id],
                   "version": self.current.version}
        return SharingGroupForm(data, owner=self.current.owner, versioned=True, initial=initial)

    def perform(self, form):
        data = form.cleaned_data
        services.sharing_group_update(
            actor=self.request.user, group=self.current, version=data["version"],
            name=data["name"], description=data["description"], members=list(data["members"]))
        return reverse("cases:group_list")

    def conflict(self, form) -> list[dict]:
        stored = visible_or_404(self.request, SharingGroup, pk=self.current.pk)
        carry_version(form, stored.version)
        changes = changed_fields(form, {"name": stored.name, "description": stored.description})
        now = sorted(o.name for o in stored.members.exclude(pk=stored.owner_id))
        sent = sorted(o.name for o in form.cleaned_data.get("members", ()))
        if now != sent:
            changes.append({"field": form.fields["members"].label, "stored": ", ".join(now),
                            "sent": ", ".join(sent)})
        return changes

    def get_context_data(self, **kwargs):
        title = _("Sharing group %(name)s") % {"name": self.current.name}
        return super().get_context_data(title=title, cancel_url=reverse("cases:group_list"),
                                        **kwargs)


class GroupLeave(ActionPage):
    success_message = gettext_lazy("Your organisation left the group.")

    def act(self, request, *args, **kwargs) -> str:
        group = visible_or_404(request, SharingGroup, pk=kwargs["pk"])
        org = acting_organisation(request)
        if org is None or not _manages(request.user, org.pk):
            raise PermissionDenied(_("Only your organisation's admins take it out of a group."))
        services.sharing_group_leave(actor=request.user, group=group, organisation=org)
        return reverse("cases:group_list")


class GroupDelete(GroupPage, ActionPage):
    success_message = gettext_lazy("The group was deleted.")

    def act(self, request, *args, **kwargs) -> str:
        services.sharing_group_delete(actor=request.user, group=self.group())
        return reverse("cases:group_list")


urlpatterns = [
    path("audit/", AuditLog.as_view(), name="audit_log"),
    path("organisation/settings/", OrganisationSettings.as_view(),
         name="organisation_settings"),
    path("members/", MemberList.as_view(), name="member_list"),
    path("members/add/", MemberAdd.as_view(), name="member_add"),
    path("members/<int:pk>/", MemberEdit.as_view(), name="member_edit"),
    path("members/<int:pk>/remove/", MemberRemove.as_view(), name="member_remove"),
    path("members/invitations/<int:pk>/cancel/", InvitationCancel.as_view(),
         name="invitation_cancel"),
    path("groups/", GroupList.as_view(), name="group_list"),
    path("groups/new/", GroupCreate.as_view(), name="group_create"),
    path("groups/<int:pk>/", GroupEdit.as_view(), name="group_edit"),
    path("groups/<int:pk>/leave/", GroupLeave.as_view(), name="group_leave"),
    path("groups/<int:pk>/delete/", GroupDelete.as_view(), name="group_delete"),
]
