from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import filters, invitations, policy, services
from ..models import (
    Assurance,
    AuditEvent,
    Case,
    Country,
    Invitation,
    LegalInstrument,
    Membership,
    Organisation,
    ProceedingEvent,
    SharingGroup,
    Subject,
    SubjectNationality,
)
from ..selectors import case_prefetches, case_timeline
from . import case_rows
from . import serializers as s
from .base import (
    CreateWithService,
    DestroyWithService,
    ListWithRows,
    PolicyViewSet,
    UpdateWithService,
)

Resource = policy.Resource
User = get_user_model()
WRITE_METHODS = ["get", "post", "patch", "delete", "head", "options"]


class MeView(APIView):
    """The signed-in user and its memberships."""

    resource = Resource.SELF

    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        return Response(s.MeSerializer(request.user).data)


class OrganisationViewSet(PolicyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The directory of organisations on the platform (to build sharing groups)."""

    resource = Resource.ORGANISATION
    model = Organisation
    serializer_class = s.OrganisationSerializer
    lookup_field = "slug"
    ordering = "name"
    ordering_fields = ["name", "slug"]
    filterset_fields = ["kind", "country"]


class CountryViewSet(PolicyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = Resource.REFERENCE
    model = Country
    serializer_class = s.CountrySerializer
    lookup_field = "code"
    ordering = "code"
    ordering_fields = ["code", "name"]
    filterset_fields = ["eu_member", "eea_member", "coe_member"]


class LegalInstrumentViewSet(PolicyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = Resource.REFERENCE
    model = LegalInstrument
    serializer_class = s.LegalInstrumentSerializer
    filterset_class = filters.InstrumentFilter
    ordering = "id"
    ordering_fields = ["id", "title"]


class CrudViewSet(
    PolicyViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    CreateWithService,
    UpdateWithService,
    DestroyWithService,
):
    http_method_names = WRITE_METHODS


class MembershipViewSet(CrudViewSet):
    """Members of the caller's organisations; org admins add, change and remove them."""

    resource = Resource.MEMBERSHIP
    model = Membership
    serializer_class = s.MembershipSerializer
    filterset_class = filters.MembershipFilter
    ordering_fields = ["created_at", "role"]
    create_service = services.membership_create
    update_service = services.membership_update
    delete_service = services.membership_delete
    service_object_name = "membership"

    def optimise(self, queryset):
        return queryset.select_related("user", "organisation")


class InvitationViewSet(PolicyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        CreateWithService):
    """Invitations to join an organisation: those sent to the caller, and those its
    organisations' admins sent. An account that belongs to another organisation joins only by
    accepting one."""

    resource = Resource.MEMBERSHIP
    model = Invitation
    serializer_class = s.InvitationSerializer
    filterset_class = filters.InvitationFilter
    ordering = "-created_at"
    ordering_fields = ["created_at"]
    http_method_names = ["get", "post", "delete", "head", "options"]
    create_service = invitations.invitation_create

    def optimise(self, queryset):
        return queryset.select_related("organisation", "user", "invited_by")

    @extend_schema(request=None, responses=s.InvitationSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The invited account joins the organisation with the role offered."""
        invitation = self.get_object()
        invitations.invitation_accept(actor=request.user, invitation=invitation)
        return Response(self.get_serializer(self.reload(invitation)).data)

    @extend_schema(request=None, responses=s.InvitationSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        invitation = self.get_object()
        invitations.invitation_decline(actor=request.user, invitation=invitation)
        return Response(self.get_serializer(self.reload(invitation)).data)

    def destroy(self, request, *args, **kwargs):
        """Cancel a pending invitation (the organisation's admins)."""
        invitations.invitation_cancel(actor=request.user, invitation=self.get_object())
        return Response(status=204)


class SharingGroupViewSet(CrudViewSet):
    resource = Resource.SHARING_GROUP
    model = SharingGroup
    serializer_class = s.SharingGroupSerializer
    ordering_fields = ["created_at", "name"]
    create_service = services.sharing_group_create
    update_service = services.sharing_group_update
    delete_service = services.sharing_group_delete
    service_object_name = "group"

    def optimise(self, queryset):
        return queryset.select_related("owner").prefetch_related("members")

    @extend_schema(request=s.LeaveGroupSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        """A member organisation (not the owner) leaves the group."""
        group = self.get_object()
        serializer = s.LeaveGroupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.sharing_group_leave(actor=request.user, group=group, **serializer.validated_data)
        return Response(status=204)


class SubjectViewSet(CrudViewSet):
    """Subjects. Identifying fields appear only inside the owner, and each display is audited."""

    resource = Resource.SUBJECT
    model = Subject
    serializer_class = s.SubjectSerializer
    filterset_class = filters.SubjectFilter
    ordering_fields = ["created_at", "reference"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = services.subject_create
    update_service = services.subject_update
    service_object_name = "subject"

    def optimise(self, queryset):
        return queryset.select_related("owner").prefetch_related(
            Prefetch("nationalities", queryset=SubjectNationality.objects.all())
        )

    @extend_schema(request=s.ErasureSerializer, responses=s.SubjectSerializer,
                   description="Erase the subject's identifiers for good (an org admin of its "
                               "owner): its data key is destroyed, so no copy of them can be read "
                               "again; its cases and findings stay and keep counting.")
    @action(detail=True, methods=["post"])
    def erase(self, request, pk=None):
        subject = self.get_object()
        serializer = s.ErasureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.subject_erase(actor=request.user, subject=subject,
                               reason=serializer.validated_data["reason"])
        return Response(self.get_serializer(self.reload(subject)).data)

    def finalize_response(self, request, response, *args, **kwargs):
        identified = getattr(self, "_serializer_context", {}).get("identified_subjects")
        if identified and response.status_code < 400:
            services.record_personal_data_views(actor=request.user, subjects=identified)
        return super().finalize_response(request, response, *args, **kwargs)

    def get_serializer_context(self):
        # One context for the whole request, so the subjects shown can be audited afterwards.
        if not hasattr(self, "_serializer_context"):
            self._serializer_context = super().get_serializer_context()
        return self._serializer_context


class CaseViewSet(ListWithRows, CrudViewSet):
    """Extradition cases. Status changes only through `transition`."""

    resource = Resource.CASE
    model = Case
    serializer_class = s.CaseSerializer
    filterset_class = filters.CaseFilter
    ordering_fields = [
        "created_at", "reference", "request_date", "surrender_date", "status_changed_on",
    ]
    # Ties in the order of the reference, as on the web list: one index serves both.
    ordering_tie_breaker = "reference"
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = services.case_create
    update_service = services.case_update
    service_object_name = "case"
    # CaseSerializer's rows, written out directly.
    list_rows = case_rows.case_rows

    def optimise(self, queryset):
        # Not the requesting state: the answer gives only its code, the case's own column.
        # Each table joined here is planned and built into objects for every row.
        if self.action == "list":
            return case_rows.list_queryset(queryset)
        return case_rows.joined(queryset).prefetch_related(
            "offences",
            Prefetch("named_recipients", queryset=User.objects.order_by("username")),
            *case_prefetches(),
        )

    @extend_schema(request=s.TransitionSerializer, responses=s.CaseSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        case = self.get_object()
        serializer = s.TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.case_transition(
            actor=request.user,
            case=case,
            to=data["to"],
            on=data.get("date"),
            note=data.get("note", ""),
            closure_reason=data.get("closure_reason", ""),
            version=data.get("version"),
            start_monitoring=data["start_monitoring"],
        )
        return Response(self.get_serializer(self.reload(case)).data)

    @extend_schema(responses=s.TimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        case = self.get_object()
        entries = case_timeline(case, owner_view=policy.is_owner(request.user, case))
        return Response(s.TimelineEntrySerializer(entries, many=True).data)


class CaseChildViewSet(CrudViewSet):
    def optimise(self, queryset):
        return queryset.select_related("case")


class ProceedingEventViewSet(CaseChildViewSet):
    resource = Resource.PROCEEDING
    model = ProceedingEvent
    serializer_class = s.ProceedingEventSerializer
    filterset_class = filters.ProceedingFilter
    ordering_fields = ["created_at", "date"]
    create_service = services.proceeding_create
    update_service = services.proceeding_update
    delete_service = services.proceeding_delete
    service_object_name = "proceeding"


class AssuranceViewSet(CaseChildViewSet):
    resource = Resource.ASSURANCE
    model = Assurance
    serializer_class = s.AssuranceSerializer
    filterset_class = filters.AssuranceFilter
    ordering_fields = ["created_at", "given_on", "type"]
    create_service = services.assurance_create
    update_service = services.assurance_update
    delete_service = services.assurance_delete
    service_object_name = "assurance"


class AuditEventViewSet(PolicyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The audit log of the organisations where the caller is auditor or org admin."""

    resource = Resource.AUDIT_EVENT
    model = AuditEvent
    serializer_class = s.AuditEventSerializer
    filterset_class = filters.AuditEventFilter
    lookup_field = "seq"
    ordering = "-seq"
    ordering_fields = ["seq"]

    def optimise(self, queryset):
        return queryset.select_related("organisation")

