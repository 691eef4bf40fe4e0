"""How the API describes itself in OpenAPI: every answer it may give, what each field may hold,
and names and descriptions written for the people who call it."""

import re
from collections import defaultdict

from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import warn
from drf_spectacular.extensions import (
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import deep_import_string, force_instance, get_lib_doc_excludes
from drf_spectacular.settings import spectacular_settings
from rest_framework import permissions, serializers

from . import base, filtering
from .filtering import is_list

# Suffixes of our input serializers' names, which the schema's own "Request" suffix repeats.
INPUT_SUFFIXES = ("RequestSerializer", "InputSerializer")


class ErrorSerializer(serializers.Serializer):
    """Why the request was refused."""

    detail = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    """The record changed since it was loaded: nothing was saved."""

    detail = serializers.CharField()
    current_version = serializers.IntegerField(
        allow_null=True, help_text=_("The version now stored, to reload before trying again.")
    )


class ValidationErrorSerializer(serializers.Serializer):
    """Bad input: a list of messages per field (for a list of nested records, the same per
    record), `non_field_errors` for the request as a whole, or `detail` for a body that could
    not be read. Nothing was saved."""


class ValidationErrorExtension(OpenApiSerializerExtension):
    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema, direction):
        # The keys are the request's own fields, so they are not known in advance.
        return {
            "type": "object",
            "description": ValidationErrorSerializer.__doc__.replace("\n    ", " "),
            "additionalProperties": {},
        }


class StrictSerializerExtension(OpenApiSerializerExtension):
    """The fields as each use of a serializer has them: a create takes the create-only fields
    (`organisation`, a case's first `status`) and an update (PATCH) does not; an answer lists
    every field a record may show, and makes optional those a reader may not see (a record
    read outside its owner lacks the owner's own fields, a subject its identifiers)."""

    target_class = base.StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        serializer = self.target
        purpose = "update" if serializer.partial else "create"
        if direction == "response":
            purpose = "read"
        described = type(serializer)(
            context={**serializer.context, base.StrictSerializer.PURPOSE: purpose},
            partial=serializer.partial,
        )
        schema = auto_schema._map_serializer(described, direction, bypass_extensions=True)
        withheld = set(getattr(type(serializer), "withholdable_fields", tuple)())
        if direction == "response" and withheld and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in withheld]
            if not schema["required"]:
                del schema["required"]
        return schema


class VisibleRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """A reference is the referenced record's id, whatever serializer it appears in."""

    target_class = base.VisibleRelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        if field.pk_field is not None:
            return auto_schema._map_serializer_field(field.pk_field, direction)
        return auto_schema._map_model_field(field.model._meta.pk, direction)


class StrictFilterExtension(DjangoFilterExtension):
    """Filter parameters with the limits their form fields enforce: a schema that let through
    what the filter refuses would invite requests that fail."""

    target_class = filtering.StrictFilterBackend
    match_subclasses = True
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        extra = filter_field.extra
        limits = {"maxLength": extra.get("max_length"), "minimum": extra.get("min_value"),
                  "maximum": extra.get("max_value")}
        for parameter in parameters:
            schema = parameter["schema"]
            schema = schema.get("items", schema)
            if extra.get("decimal_places") == 0 and schema.get("type") == "number":
                schema["type"] = "integer"
            schema.update({key: value for key, value in limits.items() if value is not None})
        return parameters


ERRORS = {
    "400": (ValidationErrorSerializer, _("Bad input, with a message per field.")),
    "401": (ErrorSerializer, _("Not signed in: send `Authorization: Token <token>`.")),
    "403": (ErrorSerializer, _("None of your roles allows this, or the token is read-only.")),
    "404": (ErrorSerializer, _("No such record, or none that you may see.")),
    "409": (ConflictSerializer, _("The record changed since you loaded it; nothing was saved.")),
    "415": (ErrorSerializer, _("The body is not in a media type this endpoint reads.")),
    "429": (ErrorSerializer, _("Too many requests; try again later.")),
}


class AutoSchema(openapi.AutoSchema):
    def get_serializer_name(self, serializer, direction):
        name = super().get_serializer_name(serializer, direction)
        if direction == "request":
            # "ExportRequestSerializer" would become "ExportRequestRequest".
            for suffix in INPUT_SUFFIXES:
                if name.endswith(suffix):
                    return name[: -len(suffix)]
        return name

    def get_filter_backends(self):
        # A record, or a list under one record (a case's timeline), is neither filtered nor
        # paginated: the filter backends pass it by (filtering.is_list).
        return super().get_filter_backends() if is_list(self.view) else []

    def _get_paginator(self):
        return super()._get_paginator() if is_list(self.view) else None

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for parameter in operation.get("parameters", ()):
            if parameter["in"] == "query" and parameter["schema"].get("type") != "array":
                # Query strings are read as forms are: an empty value is a value not given
                # (an empty choice among several is refused).
                parameter["allowEmptyValue"] = True
        responses = operation["responses"]
        for status in self._error_statuses(operation):
            if status not in responses:
                serializer, description = ERRORS[status]
                responses[status] = self._get_response_for_code(
                    openapi.OpenApiResponse(serializer, description=str(description)), status
                )
        return operation

    def _error_statuses(self, operation) -> list[str]:
        """The errors any endpoint like this one may answer; a view declares the others."""
        statuses = []
        body = "requestBody" in operation
        query = any(p["in"] == "query" for p in operation.get("parameters", ()))
        # A delete too may be refused by a rule (an organisation's last admin).
        if body or query or self.method == "DELETE":
            statuses.append("400")
        if not any(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions()):
            statuses += ["401", "403"]
        if "{" in self.path:
            statuses.append("404")
        if body and self._writes_a_version():
            statuses.append("409")
        if body:
            statuses.append("415")
        if self.view.get_throttles():
            statuses.append("429")
        return statuses

    def _writes_a_version(self) -> bool:
        """Whether the request carries the version it loaded (an update, or an action such as
        a transition), so that a stale one is refused with 409."""
        serializer = force_instance(self.get_request_serializer())
        if isinstance(serializer, serializers.ListSerializer):
            serializer = serializer.child
        if not isinstance(serializer, serializers.BaseSerializer):
            return False
        field = serializer.fields.get("version")
        # The schema is drawn without a record, where the version of an update is read-only.
        return field is not None and (self.method == "PATCH" or not field.read_only)


def lib_doc_excludes() -> list[type]:
    """Classes whose docstrings speak to the developers of this project: a serializer or a
    view without a docstring of its own gets no description rather than theirs."""
    return [
        *get_lib_doc_excludes(),
        base.StrictSerializer,
        base.StrictModelSerializer,
        base.OwnerAwareSerializer,
        base.PolicyViewSet,
    ]


def _override_choice_sets() -> set[frozenset]:
    sets = set()
    for choices in spectacular_settings.ENUM_NAME_OVERRIDES.values():
        choices = deep_import_string(choices) if isinstance(choices, str) else choices
        values = choices.values if hasattr(choices, "values") else [c[0] for c in choices]
        sets.add(frozenset(values))
    return sets


def warn_on_enum_collisions(result, generator, **kwargs):
    """A field with two choice sets in one component (the values written, the values read) is
    given one enum name by drf-spectacular, which then keeps only one of the two: warn, so that
    ENUM_NAME_OVERRIDES names each."""
    found = defaultdict(set)
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        component = re.sub(r"^Patched|Request$", "", name)
        for field, prop in schema.get("properties", {}).items():
            prop = prop.get("items", prop)
            if isinstance(prop, dict) and "enum" in prop:
                values = frozenset(v for v in prop["enum"] if v not in ("", None))
                found[component, field].add(values)
    named = _override_choice_sets()
    for (component, field), choice_sets in sorted(found.items()):
        if len(choice_sets) > 1 and not choice_sets <= named:
            warn(f"{component}.{field} has {len(choice_sets)} choice sets; name each in "
                 f"ENUM_NAME_OVERRIDES.")
    return result
