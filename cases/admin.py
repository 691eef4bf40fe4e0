"""The admin, for platform staff.

Organisations, members, sharing groups and reference data are staff business: editable here,
each change written to the audit log. Case data is not: it is read-only, and starts from
`policy.restrict` like every other read, so staff see only what their own memberships show.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from . import access, audit, policy, services
from .forms_account import AdminSignInForm
from .models import (
    Assurance,
    AuditEvent,
    Case,
    Country,
    LegalInstrument,
    Membership,
    Organisation,
    ProceedingEvent,
    SharingGroup,
    Subject,
)

AuditAction = audit.Action
User = get_user_model()

admin.site.site_header = _("Extradition Monitor administration")
admin.site.site_title = _("Extradition Monitor")
# The admin's sign-in says so when the lockout refuses it, like the application's.
admin.site.login_form = AdminSignInForm


class StaffOperator(services.Operator):
    """Platform staff in the admin: trusted like an operator, and named in the audit log."""

    def __str__(self) -> str:
        return f"staff:{self.name}"


def _staff(request) -> StaffOperator:
    return StaffOperator(request.user.get_username())


# --- staff business: organisations, members, sharing groups, reference data ------------------


class AuditedAdmin(admin.ModelAdmin):
    """Edits written to the audit log; records that others depend on are never deleted."""

    actions = None
    # Fields fixed once the record exists: other records and the audit log refer to them.
    fixed_after_creation: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        return self.fixed_after_creation if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and not form.changed_data:
            return
        audit.record(
            request.user,
            AuditAction.UPDATE if change else AuditAction.CREATE,
            obj,
            changed_fields=list(form.changed_data),
        )


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ("slug", "name", "kind", "country", "mfa_required", "created_at")
    list_filter = ("kind", "country", "mfa_required")
    search_fields = ("slug", "name")
    fields = ("slug", "name", "kind", "country", "mfa_required")
    fixed_after_creation = ("slug",)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = services.organisation_create(
            actor=request.user, slug=obj.slug, name=obj.name, kind=obj.kind, country=obj.country,
            mfa_required=obj.mfa_required,
        )
        obj.pk, obj.created_at = created.pk, created.created_at


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "organisation", "role")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None and "role" in cleaned:
            # The service's rule, checked before the service is called to show on the form.
            services.check_keeps_an_admin(self.instance, cleaned["role"])
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Members are added, changed and removed through the services, as on the command line."""

    form = MembershipForm
    actions = None
    list_display = ("user", "organisation", "role", "created_at")
    list_filter = ("role", "organisation")
    search_fields = ("user__username", "organisation__slug", "organisation__name")
    autocomplete_fields = ("user", "organisation")
    list_select_related = ("user", "organisation")

    def get_readonly_fields(self, request, obj=None):
        return ("user", "organisation") if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        # The last admin of an organisation stays.
        if obj is not None and services.takes_last_admin(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            stored = Membership.objects.select_related("user", "organisation").get(pk=obj.pk)
            if stored.role != obj.role:
                services.membership_update(
                    actor=_staff(request), membership=stored, version=stored.version,
                    role=obj.role,
                )
            obj.refresh_from_db()
            return
        created = services.membership_create(
            actor=_staff(request), organisation=obj.organisation, user=obj.user, role=obj.role
        )
        obj.pk, obj.created_at, obj.version = created.pk, created.created_at, created.version

    def delete_model(self, request, obj):
        services.membership_delete(actor=_staff(request), membership=obj)


class SharingGroupForm(forms.ModelForm):
    member_organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.all(),
        required=False,
        label=_("members"),
        widget=admin.widgets.FilteredSelectMultiple(_("organisations"), is_stacked=False),
        help_text=_("The owner is always a member."),
    )

    class Meta:
        model = SharingGroup
        fields = ("name", "owner", "description")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["member_organisations"].initial = list(
                self.instance.memberships.values_list("organisation_id", flat=True)
            )

    def clean(self):
        cleaned = super().clean()
        group = self.instance if self.instance.pk is not None else None
        owner = group.owner if group is not None else cleaned.get("owner")
        if owner is None or not cleaned.get("name"):
            return cleaned
        # The service's rules, checked before the service is called to show on the form.
        try:
            services.check_sharing_group(owner=owner, name=cleaned["name"], group=group,
                                         members=cleaned.get("member_organisations"))
        except forms.ValidationError as error:
            for field, errors in error.error_dict.items():
                self.add_error("member_organisations" if field == "members" else field, errors)
        return cleaned


@admin.register(SharingGroup)
class SharingGroupAdmin(AuditedAdmin):
    form = SharingGroupForm
    list_display = ("name", "owner", "member_slugs", "updated_at")
    list_filter = ("owner",)
    search_fields = ("name", "owner__slug", "owner__name")
    list_select_related = ("owner",)
    fields = ("name", "owner", "description", "member_organisations")
    fixed_after_creation = ("owner",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__organisation")

    @admin.display(description=_("members"))
    def member_slugs(self, group) -> str:
        return ", ".join(sorted(m.organisation.slug for m in group.memberships.all()))

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        members = data.get("member_organisations", [])
        if not change:
            created = services.sharing_group_create(
                actor=_staff(request), organisation=obj.owner, name=obj.name,
                description=obj.description, members=members,
            )
            obj.pk = created.pk
        elif form.changed_data:
            stored = SharingGroup.objects.select_related("owner").get(pk=obj.pk)
            # What the form left as it was is not sent: the service changes only the rest.
            sent = {name: data[name] for name in ("name", "description")
                    if name in form.changed_data}
            services.sharing_group_update(
                actor=_staff(request), group=stored, version=stored.version, **sent,
                members=members if "member_organisations" in form.changed_data else None,
            )
        obj.refresh_from_db()


@admin.register(Country)
class CountryAdmin(AuditedAdmin):
    list_display = ("code", "name", "eu_member", "eea_member", "coe_member", "memberships_as_of")
    list_filter = ("eu_member", "eea_member", "coe_member")
    search_fields = ("code", "name")
    fixed_after_creation = ("code",)


@admin.register(LegalInstrument)
class LegalInstrumentAdmin(AuditedAdmin):
    list_display = ("title", "party_a", "party_b", "kind", "status", "signed_on", "in_force_on")
    list_filter = ("kind", "status")
    search_fields = ("title", "party_a__name", "party_b__name")
    list_select_related = ("party_a", "party_b")


# --- case data: read-only, and only what the staff member's own memberships show -------------


class RestrictedReadOnlyAdmin(admin.ModelAdmin):
    """Read-only, through the policy: a record outside the user's view answers 404."""

    actions = None
    # Fields shown only to members of the record's owning organisation.
    owner_only_fields: tuple[str, ...] = ()

    def get_queryset(self, request):
        return policy.restrict(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None):
        # A 404, audited where the record exists, as in the API and the pages.
        unrestricted = super().get_queryset(request)
        return access.get_visible_or_404(request.user, unrestricted,
                                         **{from_field or "pk": object_id})

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None or not policy.is_owner(request.user, obj):
            fields = [name for name in fields if name not in self.owner_only_fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(RestrictedReadOnlyAdmin):
    list_display = (
        "reference", "owner", "requesting_state", "requested_state", "status", "distribution",
        "tlp", "status_changed_on",
    )
    list_filter = ("status", "channel", "distribution", "tlp")
    search_fields = ("reference",)
    list_select_related = ("owner", "requesting_state", "requested_state")
    fields = (
        "reference", "owner", "subject", "requesting_state", "requested_state", "channel",
        "legal_instrument", "legal_basis_note", "interpol_notice", "interpol_reference",
        "request_date", "arrest_date", "decision_date", "surrender_date", "status",
        "status_changed_on", "closure_reason", "distribution", "sharing_group", "tlp",
        "named_recipients", "created_at", "updated_at", "version",
    )
    owner_only_fields = ("legal_basis_note", "interpol_reference", "named_recipients")


@admin.register(Subject)
class SubjectAdmin(RestrictedReadOnlyAdmin):
    """Only the pseudonymous reference and what is safe to share: never a name or contact."""

    list_display = ("reference", "owner", "refugee_status", "reprisal_risk", "do_not_contact")
    list_filter = ("refugee_status", "reprisal_risk", "do_not_contact")
    search_fields = ("reference",)
    list_select_related = ("owner",)
    fields = (
        "reference", "owner", "nationality_codes", "refugee_status", "protection_state",
        "reprisal_risk", "do_not_contact", "consent_to_record", "consent_to_share",
        "created_at", "updated_at",
    )

    def get_fields(self, request, obj=None):
        return [
            name for name in super().get_fields(request, obj)
            if name not in Subject.IDENTIFYING_FIELDS
        ]

    @admin.display(description=_("nationalities"))
    def nationality_codes(self, subject) -> str:
        return ", ".join(
            n.country_id if n.lost_on is None else f"{n.country_id} (lost {n.lost_on})"
            for n in subject.nationalities.all()
        )


@admin.register(Assurance)
class AssuranceAdmin(RestrictedReadOnlyAdmin):
    list_display = ("case", "type", "form", "issuer_level", "given_on", "binding")
    list_filter = ("type", "form", "issuer_level")
    search_fields = ("case__reference",)
    list_select_related = ("case",)
    fields = (
        "case", "type", "death_penalty_scope", "verbatim_text", "form", "binding", "issuer",
        "issuer_level", "given_on", "disclosed_to_court", "monitoring_who",
        "monitoring_frequency_days", "monitoring_private", "monitoring_unannounced",
        "monitoring_terms", "created_at", "updated_at", "version",
    )


@admin.register(ProceedingEvent)
class ProceedingEventAdmin(RestrictedReadOnlyAdmin):
    list_display = ("case", "kind", "date", "authority", "consulted_state")
    list_filter = ("kind",)
    search_fields = ("case__reference",)
    list_select_related = ("case", "consulted_state")
    fields = (
        "case", "kind", "date", "authority", "consulted_state", "description", "outcome",
        "created_at", "updated_at", "version",
    )
    owner_only_fields = ("description", "outcome")


@admin.register(AuditEvent)
class AuditEventAdmin(RestrictedReadOnlyAdmin):
    """The log of the organisations where the user is auditor or admin. Nobody edits it."""

    list_display = (
        "seq", "at", "actor_username", "organisation", "action", "object_type", "object_repr",
    )
    list_filter = ("action", "object_type")
    search_fields = ("object_repr", "actor_username")
    list_select_related = ("organisation",)
    fields = (
        "seq", "at", "actor_username", "organisation", "action", "object_type", "object_id",
        "object_repr", "changed_fields", "detail", "request_id", "prev_hash", "hash",
    )


# --- accounts --------------------------------------------------------------------------------

admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Accounts are deactivated, never deleted: cases, transitions and the log keep authors."""

    actions = None

    def has_delete_permission(self, request, obj=None):
        return False
