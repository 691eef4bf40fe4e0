"""The API of imports: upload a CSV or XLSX file, map its columns, check it, commit it; and the
organisation's saved mappings. The check and the commit run in a worker: watch `status` and
`progress`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cases import policy
from cases.api.base import PolicyViewSet, StrictSerializer
from cases.models import Organisation

from . import services
from .fields import FIELDS
from .models import ColumnMapping, DateFormat, ImportJob, Kind

Resource = policy.Resource


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=gettext_lazy("The row as the spreadsheet numbers "
                                                          "it (the headers are row 1)."))
    field = serializers.CharField()
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    """An import: its file, how its columns map to fields, and what the check or the commit
    found. `errors` holds the first 500 errors; `error_count` counts the rows in error."""

    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True))
    counts = serializers.DictField(child=serializers.IntegerField())
    errors = ImportErrorSerializer(many=True)
    progress = serializers.IntegerField(help_text=gettext_lazy("Percent of rows done."))

    class Meta:
        model = ImportJob
        fields = ["id", "kind", "organisation", "created_by", "filename", "size", "sha256",
                  "format", "encoding", "headers", "rows", "mapping", "date_format", "status",
                  "rows_done", "progress", "counts", "errors", "error_count", "message",
                  "created_at", "checked_at", "started_at", "finished_at"]
        read_only_fields = fields


class ImportUploadSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    file = serializers.FileField(help_text=gettext_lazy("CSV (UTF-8, UTF-16 or Windows-1252) "
                                                        "or XLSX."))
    date_format = serializers.ChoiceField(choices=DateFormat.choices, required=False,
                                          default=DateFormat.ISO)
    mapping = serializers.PrimaryKeyRelatedField(
        queryset=ColumnMapping.objects.all(), required=False, allow_null=True,
        help_text=gettext_lazy("A saved mapping to apply to the headers it knows."))
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False,
        help_text=gettext_lazy("The acting organisation, for a member of several."))

    def validate_mapping(self, mapping):
        user = self.context["request"].user
        if mapping is not None and not policy.restrict(
                ColumnMapping.objects.filter(pk=mapping.pk), user).exists():
            raise serializers.ValidationError(_("No such mapping."))
        return mapping


class ImportConfigureSerializer(StrictSerializer):
    mapping = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False,
        help_text=gettext_lazy("Header -> field name (\"\" leaves the column out)."))
    date_format = serializers.ChoiceField(choices=DateFormat.choices, required=False)
    save_as = serializers.CharField(required=False, allow_blank=True, max_length=100,
                                    help_text=gettext_lazy("Keep the mapping under this name."))


class ImportJobViewSet(PolicyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Imports of cases (with their subjects and offences), assurances and proceedings. Upload
    a file, correct the suggested `mapping`, `check` it (nothing is written), then
    `commit` it: all rows or none. A row is known by your reference for it: a second import of
    the same row changes nothing, a changed row updates its record."""

    resource = Resource.IMPORT
    model = ImportJob
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    ordering = "-created_at"
    http_method_names = ["get", "post", "delete", "head", "options"]

    def optimise(self, queryset):
        return queryset.select_related("organisation", "created_by")

    def _answer(self, job, status=200):
        return Response(self.get_serializer(self.reload(job)).data, status=status)

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer},
                   responses={201: ImportJobSerializer})
    def create(self, request):
        if not policy.organisations_with(request.user, Resource.IMPORT, policy.Action.CREATE):
            raise PermissionDenied(_("None of your roles allows this."))
        serializer = ImportUploadSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        job = services.import_upload(actor=request.user, **serializer.validated_data)
        return self._answer(job, 201)

    @extend_schema(request=ImportConfigureSerializer, responses={200: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def mapping(self, request, pk=None):
        """Map the columns to fields, choose how dates are written, keep the mapping."""
        job = self.get_object()
        serializer = ImportConfigureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.import_configure(actor=request.user, job=job, **serializer.validated_data)
        return self._answer(job)

    @extend_schema(request=None, responses={202: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        """Check every row as the commit would, writing nothing."""
        return self._answer(services.import_check(actor=request.user, job=self.get_object()),
                            202)

    @extend_schema(request=None, responses={202: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Import a file whose check found no error: every row, or none."""
        return self._answer(services.import_commit(actor=request.user, job=self.get_object()),
                            202)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Discard the import: its file is deleted and its key destroyed."""
        services.import_discard(actor=request.user, job=self.get_object())
        return Response(status=204)


class FieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    type = serializers.CharField()
    required = serializers.BooleanField()


class ColumnMappingSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ColumnMapping
        fields = ["id", "organisation", "kind", "name", "columns", "date_format", "created_at"]
        read_only_fields = fields


class ColumnMappingViewSet(PolicyViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Mappings of headers to fields kept by your organisation (made with `save_as`); `fields`
    lists the fields of each kind of import."""

    resource = Resource.IMPORT
    model = ColumnMapping
    serializer_class = ColumnMappingSerializer
    ordering = "name"
    http_method_names = ["get", "delete", "head", "options"]

    def optimise(self, queryset):
        return queryset.select_related("organisation")

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        services.column_mapping_delete(actor=request.user, mapping=self.get_object())
        return Response(status=204)

    @extend_schema(responses={200: FieldSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path=r"fields/(?P<kind>[a-z_]+)")
    def fields(self, request, kind=None):
        """The fields a column of this kind of import can be mapped to."""
        if kind not in FIELDS:
            return Response({"detail": _("No such kind of import.")}, status=404)
        return Response([{"name": f.name, "label": str(f.label), "type": f.type,
                          "required": f.required} for f in FIELDS[kind]])


routes = [
    ("imports", ImportJobViewSet, "import"),
    ("import-mappings", ColumnMappingViewSet, "import-mapping"),
]
