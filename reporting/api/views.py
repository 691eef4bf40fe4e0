"""The API of reporting: the compliance record, a case's risk brief, and exports."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import policy
from cases.access import get_visible_or_404
from cases.api.base import PolicyViewSet
from cases.api.schema import ErrorSerializer, ValidationErrorSerializer
from cases.models import Case
from monitoring.selectors import DECISION_STATUSES

from .. import filters
from ..brief import earlier_surrenders, state_record
from ..exports import build, http
from ..exports import services as exports
from ..exports.formats import CONTENT_TYPES
from ..models import Export
from ..record import compliance_record, record_filters
from ..record_query import RecordQuery, grouping
from . import serializers as s

Resource = policy.Resource


class ComplianceRecordView(APIView):
    """The compliance record: findings the caller may see plus those shared as aggregates,
    grouped; cells of fewer than three cases show "<3".

    Every count is published by the cell-key method: moved by at most 2 from the true count,
    by an amount drawn from secret keys of the records it counts, so the same records give
    the same figure under every grouping, filter and format and no hidden cell is recovered
    by subtraction. Cells need not add up; shares are ratios of published counts; days to
    first access are exact."""

    resource = Resource.MONITORING

    @extend_schema(
        parameters=[RecordQuery], responses=s.RecordCellSerializer(many=True)
    )
    def get(self, request):
        # Read as a form: `group_by` may repeat, and an empty value is a value not given.
        query = RecordQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return Response(compliance_record(
            request.user, group_by=grouping(data), filters=record_filters(data)))


class RiskBriefView(APIView):
    """For a case awaiting a decision: the requesting state's record, and earlier surrenders to
    it whose monitoring is open, unverified, or shows a breach or a refusal of access."""

    resource = Resource.MONITORING

    @extend_schema(responses={
        200: s.RiskBriefSerializer,
        400: OpenApiResponse(ValidationErrorSerializer,
                             gettext_lazy("The case is not awaiting a decision (`status`).")),
    })
    def get(self, request, pk):
        case = get_visible_or_404(request.user, Case, pk=pk)
        if case.status not in DECISION_STATUSES:
            raise ValidationError({"status": [
                "A risk brief is for a case awaiting a decision on assurances or surrender: "
                + ", ".join(DECISION_STATUSES)]})
        record, by_type = state_record(
            request.user, case, [("requesting_state",), ("requesting_state", "assurance_type")])
        return Response({
            "case": case.pk,
            "requesting_state": case.requesting_state_id,
            "record": record,
            "record_by_assurance_type": by_type,
            "earlier_surrenders": earlier_surrenders(request.user, case),
        })


class ExportViewSet(PolicyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Exports of cases, follow-ups, findings and the compliance record (CSV, XLSX, JSON; the
    record also as a PDF report). Small ones are ready in the response; large ones are built by
    a worker (watch `status` and `progress`) and announced by a notification. Files are kept
    until `expires_at`. The requester downloads its own; auditors of its organisation too,
    except files with identifiers."""

    resource = Resource.EXPORT
    model = Export
    serializer_class = s.ExportSerializer
    filterset_class = filters.ExportFilter
    ordering = "-created_at"
    ordering_fields = ["created_at"]

    def optimise(self, queryset):
        return queryset.select_related("requester", "organisation")

    @extend_schema(request=s.ExportRequestSerializer, responses={201: s.ExportSerializer})
    def create(self, request):
        if not policy.organisations_with(request.user, Resource.EXPORT, policy.Action.CREATE):
            raise PermissionDenied(_("None of your roles allows this."))
        serializer = s.ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        export = exports.export_request(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(self.reload(export)).data, status=201)

    @extend_schema(responses={
        **{(200, media_type): OpenApiResponse(OpenApiTypes.BINARY, gettext_lazy("The file."))
           for media_type in CONTENT_TYPES.values()},
        409: OpenApiResponse(ErrorSerializer, gettext_lazy("The file is not built yet.")),
        410: OpenApiResponse(ErrorSerializer, gettext_lazy("The file was deleted.")),
    })
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        export = self.get_object()
        try:
            fh = exports.export_open(actor=request.user, export=export)
        except exports.Gone as exc:
            return Response({"detail": str(exc)}, status=410)
        except exports.NotReady as exc:
            return Response({"detail": str(exc)}, status=409)
        return http.download(export, fh)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def manifest(self, request, pk=None):
        """What the file says of itself, with the SHA-256 the audit log holds for it."""
        export = self.get_object()
        return Response({**build.manifest(export), "status": export.status,
                         "sha256": export.sha256 or None, "size": export.size})
