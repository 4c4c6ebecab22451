"""Input serializers refuse JSON values of the wrong type instead of coercing them.

DRF turns ``0`` into ``"0"`` for a CharField and ``"12"`` into ``12`` for an IntegerField; a
client that sends the wrong JSON type has a bug we should report, not guess around. Form and
multipart bodies (all strings) keep DRF's usual parsing.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.relations import ManyRelatedField, RelatedField

from core.precompiled import PrecompiledQuery

_STRINGS = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    RelatedField,
)


def _expected_json_type(field: serializers.Field) -> tuple[type, ...] | None:
    if isinstance(field, serializers.BooleanField):
        return (bool,)
    if isinstance(field, serializers.IntegerField):
        return (int,)
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return (int, float)
    if isinstance(field, serializers.ListField | serializers.MultipleChoiceField):
        return (list,)
    if isinstance(field, _STRINGS):
        return (str,)
    return None


class StrictTypesMixin:
    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping) and not isinstance(data, QueryDict):
            errors: dict[str, list[ErrorDetail]] = {}
            for name, field in self.fields.items():
                if field.read_only or name not in data or data[name] is None:
                    continue
                expected = _expected_json_type(field)
                value = data[name]
                wrong = expected is not None and (
                    not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))
                )
                if wrong:
                    label = " or ".join(t.__name__ for t in expected or ())
                    errors[name] = [
                        ErrorDetail(_("Expected a JSON %(type)s.") % {"type": label}, code="invalid_type")
                    ]
            if errors:
                raise ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]


# Base of every JSON input serializer. Its fields are the declared ones, copied per instance as
# OutputModelSerializer copies its built fields (``_unbound_copy``): DRF deep-copies every declared
# field, and a field's deepcopy calls its ``__init__`` again with the declaration's arguments
# (validators, messages, choices), the largest part of validating a case's creation. (A comment, not
# a docstring: drf-spectacular would publish a docstring as the description of every input schema
# that does not write its own.)
class InputSerializer(StrictTypesMixin, serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: _unbound_copy(field) for name, field in self._declared_fields.items()}


class QueryInputSerializer(serializers.Serializer):
    """Base of query-string serializers: a parameter given empty is an error, not "use the default"."""

    def to_internal_value(self, data: Any) -> Any:
        names: list[str] = [str(name) for name in self.fields]
        blank = ErrorDetail(_("Must not be empty; leave the parameter out to use its default."), code="blank")
        empty = {
            name: [blank] for name in names if hasattr(data, "get") and name in data and data.get(name) == ""
        }
        if empty:
            raise ValidationError(empty)
        return super().to_internal_value(data)


_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")

# Database ids are 64-bit; anything larger cannot name a row (and must not reach the database).
MAX_ID = 2**63 - 1


class IdField(serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class CodeRelatedField(serializers.SlugRelatedField):
    """A catalog value by its code; only slug characters can match, so nothing else reaches the database.

    The lookup is compiled once per declaring serializer and field (``CATALOGUE_CODE``): the field's
    queryset is the one its declaration names."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not _SLUG.match(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:60])
        queryset = self.get_queryset()
        assert queryset is not None  # a writable related field always has one
        found = CATALOGUE_CODE.fetch(
            key=(type(self.parent), self.field_name),
            build=lambda code: queryset.filter(**{self.slug_field: code}).order_by()[:1],
            code=data,
        )
        if not found:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return found[0]


CATALOGUE_CODE = PrecompiledQuery("catalogue value by code", max_entries=64)


# Base of every output serializer over a model: DRF's ModelSerializer, with fields built once per
# class instead of once per instance. ModelSerializer.get_fields introspects the model and builds
# every field anew on each instantiation (a visible share of every GET of a case); the result depends
# only on the class (Meta and the declared fields), so it is built on first use and copied
# afterwards: each instance still binds fields of its own (``_unbound_copy``). (A comment, not a
# docstring: drf-spectacular would publish a docstring as every subclass's description.)
class OutputModelSerializer(serializers.ModelSerializer):
    _fields_built: dict[type, dict[str, serializers.Field]] = {}

    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        built = OutputModelSerializer._fields_built.get(cls)
        if built is None:
            built = OutputModelSerializer._fields_built[cls] = super().get_fields()
        return {name: _unbound_copy(field) for name, field in built.items()}


# Fields that hold fields of their own (nested serializers, list and dict children, many-relations)
# bind those children to themselves when built, so only a deep copy (DRF's, which builds the field
# anew from its arguments) gives them children bound to the copy. Any other field keeps nothing
# per instance until bind() sets its name and parent, so a shallow copy of the unbound field is a
# field of its own, at a fraction of a deep copy's cost.
_FIELDS_WITH_CHILDREN = (
    serializers.BaseSerializer,
    serializers.ListField,
    serializers.DictField,
    ManyRelatedField,
)


def _unbound_copy(field: serializers.Field) -> serializers.Field:
    return copy.deepcopy(field) if isinstance(field, _FIELDS_WITH_CHILDREN) else copy.copy(field)
