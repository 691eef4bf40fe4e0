import datetime

from django.db.models import Prefetch
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import policy
from cases.access import get_visible_or_404
from cases.api.base import CreateWithService, ListWithRows, PolicyViewSet, UpdateWithService
from cases.api.schema import ConflictSerializer, ErrorSerializer
from cases.models import Case

from .. import filters, services
from ..models import (
    CheckReport,
    Evidence,
    Finding,
    FindingComment,
    FindingShare,
    FollowUp,
    MonitoringPlan,
    Notification,
    NotificationPreference,
)
from ..selectors import case_compliance, inbox
from ..services import evidence as evidence_services
from . import finding_rows
from . import serializers as s

Resource = policy.Resource


class ReadViewSet(PolicyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    resource = Resource.MONITORING
    ordering = "-created_at"

    def optimise(self, queryset):
        return queryset.select_related("case")


class MonitoringPlanViewSet(ReadViewSet, UpdateWithService):
    """Each monitored case's plan: its cadence profile and custody phase."""

    model = MonitoringPlan
    serializer_class = s.MonitoringPlanSerializer
    filterset_class = filters.ByCase
    http_method_names = ["get", "post", "patch", "head", "options"]
    update_service = services.plan_update
    service_object_name = "plan"

    @extend_schema(request=s.PhaseChangeSerializer, responses=s.MonitoringPlanSerializer)
    @action(detail=True, methods=["post"])
    def phase(self, request, pk=None):
        """Move to a new custody phase: the open regular check follows the new cadence."""
        plan = self.get_object()
        serializer = s.PhaseChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.phase_change(
            actor=request.user, plan=plan, phase=serializer.validated_data["phase"],
            on=serializer.validated_data.get("date"),
        )
        return Response(self.get_serializer(self.reload(plan)).data)


class FollowUpViewSet(ReadViewSet, CreateWithService, UpdateWithService):
    model = FollowUp
    serializer_class = s.FollowUpSerializer
    filterset_class = filters.FollowUpFilter
    ordering = "due_at"
    ordering_fields = ["due_at", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_service = services.follow_up_create
    update_service = services.follow_up_update
    service_object_name = "follow_up"

    def optimise(self, queryset):
        return queryset.select_related("case", "assignee")

    @extend_schema(request=s.ReportInputSerializer, responses={
        201: s.CheckReportSerializer,
        409: OpenApiResponse(ConflictSerializer, gettext_lazy(
            "The follow-up was completed or changed meanwhile; nothing was saved.")),
    })
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """Complete the follow-up: the check report and a finding per assurance, at once."""
        follow_up = self.get_object()
        serializer = s.ReportInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        report = services.report_submit(
            actor=request.user, follow_up=follow_up, **serializer.validated_data
        )
        report = get_visible_or_404(
            request.user, CheckReport.objects.prefetch_related("findings"), pk=report.pk
        )
        return Response(
            s.CheckReportSerializer(report, context=self.get_serializer_context()).data,
            status=201,
        )


class CheckReportViewSet(ReadViewSet):
    model = CheckReport
    serializer_class = s.CheckReportSerializer
    filterset_class = filters.CheckReportFilter
    ordering = "-checked_at"
    ordering_fields = ["checked_at", "created_at"]

    def optimise(self, queryset):
        # Only the findings the caller may see travel inside a report.
        return queryset.select_related("case").prefetch_related(
            Prefetch("findings", queryset=policy.visible(self.request.user, Finding)
                     .select_related("case", "assurance"))
        )


class FindingViewSet(ListWithRows, ReadViewSet, UpdateWithService):
    model = Finding
    serializer_class = s.FindingSerializer
    # FindingSerializer's rows, written out directly.
    list_rows = finding_rows.finding_rows
    filterset_class = filters.FindingFilter
    ordering = "-observed_at"
    ordering_fields = ["observed_at", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    update_service = services.finding_update
    service_object_name = "finding"

    def optimise(self, queryset):
        if self.action == "list":
            return finding_rows.list_queryset(queryset)
        return queryset.select_related("case", "assurance")

    @extend_schema(request=s.FindingShareInputSerializer, responses=s.FindingSerializer)
    @action(detail=True, methods=["post"])
    def share(self, request, pk=None):
        """The owner sets how far the finding travels: share, narrow or withdraw."""
        finding = self.get_object()
        serializer = s.FindingShareInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.finding_share(actor=request.user, finding=finding, **serializer.validated_data)
        return Response(self.get_serializer(self.reload(finding)).data)

    @extend_schema(
        methods=["GET"], responses=s.FindingCommentSerializer(many=True)
    )
    @extend_schema(
        methods=["POST"], request=s.FindingCommentSerializer,
        responses={201: s.FindingCommentSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def comments(self, request, pk=None):
        """Comments of the owner and the recipients on this finding."""
        finding = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            comments = policy.visible(request.user, FindingComment).filter(
                finding=finding
            ).select_related("organisation", "author")
            return Response(s.FindingCommentSerializer(comments, many=True, context=context).data)
        serializer = s.FindingCommentSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        comment = services.finding_comment_create(
            actor=request.user, finding=finding, **serializer.validated_data
        )
        return Response(s.FindingCommentSerializer(comment, context=context).data, status=201)


class FindingShareViewSet(ReadViewSet, CreateWithService):
    """Findings passed on by recipients (where the label allows); DELETE withdraws one."""

    model = FindingShare
    serializer_class = s.ReshareSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]
    create_service = services.finding_reshare
    create_action = policy.Action.SHARE

    def optimise(self, queryset):
        return queryset.select_related("finding__case", "organisation", "created_by")

    def destroy(self, request, *args, **kwargs):
        services.finding_reshare_withdraw(actor=request.user, share=self.get_object())
        return Response(status=204)


class EvidenceViewSet(ReadViewSet, CreateWithService):
    """Evidence files: uploaded to a report, read back only by the owning organisation."""

    model = Evidence
    serializer_class = s.EvidenceSerializer
    filterset_class = filters.EvidenceFilter
    # A file comes in a multipart body; the other writes of the API are JSON.
    parser_classes = [MultiPartParser]
    http_method_names = ["get", "post", "head", "options"]
    create_service = services.evidence_upload

    def optimise(self, queryset):
        return queryset.select_related("case", "uploaded_by")

    @extend_schema(responses={
        (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY,
                                      gettext_lazy("The file, in its own type.")),
        410: OpenApiResponse(ErrorSerializer, gettext_lazy(
            "The file was deleted when its subject's identifiers were erased; its hash, size "
            "and type stay on the record.")),
    })
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        evidence = self.get_object()
        if evidence.erased_at is not None:
            return Response({"detail": gettext_lazy(
                "This file was deleted when its subject's identifiers were erased.")},
                status=status.HTTP_410_GONE)
        # Opened through the service, which audits the download as the web page's is.
        response = FileResponse(
            evidence_services.evidence_download(actor=request.user, evidence=evidence),
            as_attachment=True, filename=f"evidence-{evidence.pk}",
            content_type=evidence.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        return response


class NotificationViewSet(PolicyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The caller's own notifications."""

    resource = Resource.NOTIFICATION
    model = Notification
    serializer_class = s.NotificationSerializer
    filterset_class = filters.NotificationFilter
    ordering = "-created_at"

    def optimise(self, queryset):
        return queryset.select_related("case")

    @extend_schema(request=None, responses=s.NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        services.notification_mark_read(actor=request.user, notification=notification)
        return Response(self.get_serializer(self.reload(notification)).data)


class NotificationPreferenceView(APIView):
    """Which alerts the caller also receives by e-mail (all of them unless turned off)."""

    resource = Resource.SELF

    def _current(self, user) -> list[dict]:
        chosen = dict(
            NotificationPreference.objects.filter(user=user).values_list("kind", "email")
        )
        return [{"kind": kind, "email": chosen.get(kind, True)} for kind in Notification.Kind]

    @extend_schema(responses=s.NotificationPreferenceSerializer(many=True))
    def get(self, request):
        return Response(self._current(request.user))

    @extend_schema(
        request=s.NotificationPreferenceSerializer(many=True),
        responses=s.NotificationPreferenceSerializer(many=True),
    )
    def put(self, request):
        serializer = s.NotificationPreferenceSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        services.notification_preferences_set(
            actor=request.user, preferences=serializer.validated_data
        )
        return Response(self._current(request.user))


class CaseComplianceView(APIView):
    """A case's compliance: per assurance, and its worst open finding."""

    resource = Resource.MONITORING

    @extend_schema(responses=s.ComplianceSerializer)
    def get(self, request, pk):
        case = get_visible_or_404(request.user, Case, pk=pk)
        return Response(s.ComplianceSerializer(case_compliance(case, request.user)).data)


class InboxView(APIView):
    """What was newly shared with the caller's organisations, and by whom."""

    resource = Resource.MONITORING

    @extend_schema(parameters=[s.InboxQuerySerializer], responses=s.InboxItemSerializer(many=True))
    def get(self, request):
        query = s.InboxQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        since = query.validated_data.get("since") or timezone.now() - datetime.timedelta(days=30)
        organisation = query.validated_data.get("organisation")
        organisations = [organisation.pk] if organisation else list(policy.roles(request.user))
        items = inbox(request.user, since=since, organisation_ids=organisations)
        return Response(s.InboxItemSerializer(items, many=True).data)
