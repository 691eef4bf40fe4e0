"""What every endpoint stands on: the policy's restricted queryset and strict input."""

from collections.abc import Mapping

from django.db import models
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from .. import access, policy


class StrictSerializer(serializers.Serializer):
    """Rejects fields the endpoint does not take, instead of silently ignoring them.

    `Meta.create_only_fields` are written when a record is created and refused afterwards;
    `version` is the optimistic-concurrency token, read-only on create.
    """

    # What the fields serve when the schema describes them (cases/api/schema.py): "create",
    # "update" or "read". In a request it follows from whether there is a record.
    PURPOSE = "described_as"

    def purpose(self) -> str:
        return self.context.get(self.PURPOSE) or ("create" if self.instance is None else "update")

    def _create_only(self) -> tuple[str, ...]:
        meta = getattr(self, "Meta", None)
        return getattr(meta, "create_only_fields", ())

    def get_fields(self):
        fields = super().get_fields()
        if self.purpose() != "create":
            # Still shown in what is read; no longer written.
            for name in self._create_only():
                if name in fields:
                    fields[name].read_only = True
        elif "version" in fields and isinstance(self, serializers.ModelSerializer):
            # A record being created has no version yet; an action on one (a transition)
            # carries the version it loaded.
            fields["version"] = serializers.IntegerField(read_only=True)
        return fields

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)
        errors = self._refused(data)
        try:
            # The fields refused above are left out, so the rest are checked too: the caller
            # learns every error of the request at once.
            value = super().to_internal_value(_without(data, errors))
        except serializers.ValidationError as exc:
            if not errors or not isinstance(exc.detail, Mapping):
                raise
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def _refused(self, data: Mapping) -> dict[str, list[str]]:
        """Fields the endpoint does not take, and references that could not name a record."""
        writable = {name for name, field in self.fields.items() if not field.read_only}
        errors = {}
        for name in sorted(set(data) - writable):
            if self.instance is not None and name in self._create_only():
                errors[name] = [_("This field is set when the record is created.")]
            elif name in self.fields:
                errors[name] = [_("This field cannot be written.")]
            else:
                errors[name] = [_("Unknown field.")]
        for name, field in self.fields.items():
            value = data.get(name)
            # DRF would iterate an object's keys as if they were the list.
            if isinstance(field, serializers.ManyRelatedField) and isinstance(value, Mapping):
                errors[name] = [field.error_messages["not_a_list"].format(input_type="dict")]
            # A reference with a NUL byte names nothing, and PostgreSQL would refuse the
            # lookup with a server error.
            elif isinstance(field, serializers.RelatedField | serializers.ManyRelatedField):
                values = value if isinstance(value, list) else [value]
                if any(isinstance(v, str) and "\x00" in v for v in values):
                    errors[name] = [_("Null characters are not allowed.")]
        return errors


def _without(data: Mapping, names) -> Mapping:
    """`data` less `names`; a form body stays a multi-valued dict (its fields may repeat)."""
    if not names:
        return data
    if hasattr(data, "getlist"):
        return MultiValueDict({k: data.getlist(k) for k in data if k not in names})
    return {k: v for k, v in data.items() if k not in names}


class StrictBooleanField(serializers.BooleanField):
    """true or false, as JSON writes them: DRF would also read 0, "no" or "off" as false."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.BooleanField: StrictBooleanField,
    }

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        may_be_blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        # DRF forgets that a read-only text field may be empty; the schema would then say it
        # never is (a choice field would list only its choices).
        if kwargs.get("read_only") and may_be_blank:
            kwargs["allow_blank"] = True
        return kwargs


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to another record: only records the caller may see resolve.

    A record outside the caller's view fails exactly like one that does not exist.
    """

    def __init__(self, model=None, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        return policy.restrict(self.model._default_manager.all(), self.context["request"].user)


def uuid_ref(model, **kwargs) -> VisibleRelatedField:
    return VisibleRelatedField(model=model, pk_field=serializers.UUIDField(), **kwargs)


class OwnerAwareSerializer(StrictModelSerializer):
    """Drops `Meta.owner_only_fields` from records the caller's organisations do not own.

    `Meta.withheld_fields` names the fields a subclass drops for some readers on other grounds;
    the schema marks both kinds as optional in answers.
    """

    @classmethod
    def withholdable_fields(cls) -> tuple[str, ...]:
        meta = cls.Meta
        return (*getattr(meta, "owner_only_fields", ()), *getattr(meta, "withheld_fields", ()))

    def is_owner_member(self, instance) -> bool:
        return policy.is_owner(self.context["request"].user, instance)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.is_owner_member(instance):
            for name in getattr(self.Meta, "owner_only_fields", ()):
                data.pop(name, None)
        return data


class PolicyViewSet(viewsets.GenericViewSet):
    """Every endpoint names its resource in the policy, and starts from what the caller may see.

    `create_service`, `update_service` and `delete_service` are the service functions that
    write; the view only translates HTTP.
    """

    resource: policy.Resource
    model = None
    service_object_name: str = ""
    create_service = None
    update_service = None
    delete_service = None

    def get_queryset(self):
        return self.optimise(policy.restrict(self.model._default_manager.all(), self.request.user))

    def optimise(self, queryset):
        return queryset

    def get_object(self):
        """The record the URL names, if the caller may see it; else a 404, audited where the
        record exists."""
        value = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")
        obj = self.visible_or_404(**{self.lookup_field: value})
        self.check_object_permissions(self.request, obj)
        return obj

    def reload(self, obj):
        return self.visible_or_404(pk=obj.pk)

    def visible_or_404(self, **lookup):
        return access.get_visible_or_404(
            self.request.user, self.optimise(self.model._default_manager.all()), **lookup
        )

    def write_kwargs(self) -> dict:
        """Extra arguments for the services, e.g. the parent record from the URL."""
        return {}


# A list whose page `list_rows(page, user)` writes out, instead of a serializer per row: the
# same answer as the serializer's, which a test of each such list compares. (A comment, not a
# docstring: the schema would describe the views that have none of their own with it.)
class ListWithRows(mixins.ListModelMixin):
    list_rows = None

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(type(self).list_rows(page, request.user))


class CreateWithService(mixins.CreateModelMixin):
    create_action = policy.Action.CREATE

    def create(self, request, *args, **kwargs):
        # A caller no role of which may create this kind of record learns nothing from
        # validation messages: 403 first.
        if not policy.organisations_with(request.user, self.resource, self.create_action):
            raise PermissionDenied(_("None of your roles allows this."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = type(self).create_service(
            actor=request.user, **self.write_kwargs(), **serializer.validated_data
        )
        return Response(
            self.get_serializer(self.reload(obj)).data, status=status.HTTP_201_CREATED
        )


class UpdateWithService(mixins.UpdateModelMixin):
    def update(self, request, *args, **kwargs):
        obj = self.get_object()
        serializer = self.get_serializer(obj, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        obj = type(self).update_service(
            actor=request.user, **{self.service_object_name: obj}, version=version, **data
        )
        return Response(self.get_serializer(self.reload(obj)).data)


class DestroyWithService(mixins.DestroyModelMixin):
    def destroy(self, request, *args, **kwargs):
        obj = self.get_object()
        type(self).delete_service(actor=request.user, **{self.service_object_name: obj})
        return Response(status=status.HTTP_204_NO_CONTENT)


VERSION_HELP = "The version you loaded. A stale version gets 409 and changes nothing."


def version_field() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, required=False, help_text=VERSION_HELP)
