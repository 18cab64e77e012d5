"""Strict JSON types for everything the API accepts.

DRF's fields coerce: a number is taken as a string (``"title": 123``), ``true`` as the
number 1, ``"12"`` as a whole number, ``"yes"`` as true. A client that sends the wrong type
has a bug it should hear about, so the serializers here refuse any value whose JSON type is
not the field's: strings must be strings, numbers numbers (never booleans), booleans
booleans, lists lists and objects objects. ``null`` is left to the field's ``allow_null``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.fields import Field, empty
from rest_framework.relations import ManyRelatedField, SlugRelatedField

STRING_FIELDS = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    SlugRelatedField,
)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string" if value else "an empty string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def type_error(field: serializers.Field, value: Any) -> str | None:
    """Why ``value`` is not of ``field``'s JSON type, or None when it is (or is null)."""
    if value is None or value is empty:
        return None
    if isinstance(field, serializers.BooleanField):
        expected, ok = "true or false", isinstance(value, bool)
    elif isinstance(field, serializers.IntegerField):
        expected = "a whole number"
        ok = not isinstance(value, bool) and (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        )
    elif isinstance(field, serializers.FloatField | serializers.DecimalField):
        expected = "a number"
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif isinstance(field, serializers.MultipleChoiceField | serializers.ListField):
        expected, ok = "a list", isinstance(value, list)
        child = getattr(field, "child", None)
        if ok and child is not None:
            return next((e for e in (type_error(child, item) for item in value) if e), None)
    elif isinstance(field, ManyRelatedField):
        expected, ok = "a list", isinstance(value, list)
        if ok:
            child = field.child_relation
            return next((e for e in (type_error(child, item) for item in value) if e), None)
    elif isinstance(field, SlugRelatedField):
        # DRF reads "" as null for relations; a slug is never empty.
        expected, ok = "a slug or null", isinstance(value, str) and value != ""
    elif isinstance(field, STRING_FIELDS):
        expected, ok = "a string", isinstance(value, str)
        limit = getattr(field, "max_length", None)
        if ok and limit is not None and len(value) > limit:
            # Checked as sent: DRF would trim surrounding spaces first.
            return f"Ensure this field has no more than {limit} characters."
    else:
        return None  # nested serializers check their own data
    return None if ok else f"Must be {expected}, not {_kind(value)}."


class StrictTypesMixin:
    """Refuse values of the wrong JSON type, naming each field, before DRF coerces them."""

    def to_internal_value(self, data: Any) -> Any:
        errors: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            for name, field in self.fields.items():  # type: ignore[attr-defined]
                if field.read_only or field.source == "*" or name not in data:
                    continue
                message = type_error(field, data[name])
                if message:
                    errors[name] = [message]
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except serializers.ValidationError as error:
            if not errors or not isinstance(error.detail, Mapping):
                raise
            raise serializers.ValidationError({**error.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


# Fields whose whole state is set by their constructor and, once bound to a serializer,
# by bind(): a shallow copy of the declared one is a field of its own. Fields holding other
# fields (lists, nested serializers, many relations) are deep-copied as DRF copies them.
_FLAT_FIELDS = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.FloatField,
    serializers.IntegerField,
    SlugRelatedField,
)


def _field_copy(field: serializers.Field) -> serializers.Field:
    if isinstance(field, _FLAT_FIELDS) and type(field).__deepcopy__ is Field.__deepcopy__:
        return copy.copy(field)
    return copy.deepcopy(field)


class StrictSerializer(StrictTypesMixin, serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        # DRF deep-copies every declared field for each serializer made: a field is built
        # again from its arguments, each queryset argument cloned. For an incident's edit
        # that was a tenth of the request's time; the declared fields are never bound or
        # changed, so a copy of each is enough (see _FLAT_FIELDS).
        return {name: _field_copy(field) for name, field in self._declared_fields.items()}


class StrictModelSerializer(StrictTypesMixin, serializers.ModelSerializer):
    pass
