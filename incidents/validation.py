"""Checking a row in Python with the rules its table declares, before it is written.

Every invariant of the domain is a database constraint and a field error (see
``docs/contributing.md``). Django's ``full_clean()`` checks each ``CheckConstraint`` by
asking the database (a ``SELECT 1 WHERE ...`` in a savepoint of its own, per constraint)
and each foreign key by reading the row it points to: an incident's edit cost some 60
statements before it wrote anything. The models that researchers edit inherit
:class:`CheckedRow`, which checks the same declarations without those statements:

- a ``CheckConstraint``'s condition is compiled once, as Django compiles it for the table
  (so ``NOT`` over a nullable column means what it means in SQL), and evaluated on the
  row's values with SQL's three-valued logic: the row is refused only where the condition
  is false, not where it is unknown (NULL), exactly as the database decides. A condition
  this module cannot evaluate (a lookup or expression it does not know) is asked of the
  database as before;
- a violated condition is an error on the one field the editor can change that it names
  (``title`` for "the title is required", ``latitude`` for "a published incident needs a
  point"), or on the whole row where it names several;
- a foreign key is looked up only when its value is new: a related row given as an
  instance was just read (its ``limit_choices_to`` is checked on that instance), and a
  value unchanged since the row was read or saved was checked when it was written;
- unique constraints are checked as Django checks them (a query): only the database knows
  the other rows.

The database still enforces every constraint, whatever path writes a row.

:class:`CheckedRow` also remembers the values a row had in the database when it was read
or last saved (:meth:`CheckedRow.stored_values`), so a write can tell what it changes and
skip work that only a change needs (see ``incidents.readmodel.mapcells``).
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup
from django.db.models.sql.query import Query
from django.db.models.sql.where import AND, OR, XOR, WhereNode

# Set on a :class:`CheckedRow` for the length of a save by a writer that holds the row
# locked and knows it to be the row the instance read or last wrote (it took the row's
# version on that condition): what :meth:`CheckedRow.stored_values` gives is then what the
# row holds before the save, and the save's signals need not read it again.
STORED_IS_ROW = "_stored_is_row"


class CannotEvaluate(Exception):
    """The condition holds something only the database can evaluate."""


# Comparisons of two known values; a NULL on either side makes the result unknown (None).
_COMPARE = {
    "exact": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


@cache
def _compiled(model: type[models.Model], condition: Q) -> WhereNode:
    """The condition as Django compiles it for the model's table (cached per condition)."""
    return Query(model=model, alias_cols=False).build_where(condition)


def _columns(node: Any) -> list[models.Field]:
    if isinstance(node, WhereNode):
        return [field for child in node.children for field in _columns(child)]
    if isinstance(node, Lookup):
        return [side.target for side in (node.lhs, node.rhs) if isinstance(side, Col)]
    raise CannotEvaluate(type(node).__name__)


def _value(side: Any, values: Any) -> Any:
    if isinstance(side, Col):
        field = side.target
        try:
            return field.get_prep_value(values(field))
        except (TypeError, ValueError, ValidationError) as error:
            raise CannotEvaluate(str(error)) from error
    if hasattr(side, "resolve_expression"):
        raise CannotEvaluate(type(side).__name__)
    return side


def evaluate(node: Any, values: Any) -> bool | None:
    """A compiled condition's truth for a row (``values(field)`` gives a column's value):
    True, False, or None for SQL's unknown."""
    if isinstance(node, WhereNode):
        results = [evaluate(child, values) for child in node.children]
        if node.connector == AND:
            result = False if False in results else (None if None in results else True)
        elif node.connector == OR:
            result = True if True in results else (None if None in results else False)
        elif node.connector == XOR:
            result = None if None in results else sum(results) % 2 == 1
        else:  # pragma: no cover - Django has no other connector
            raise CannotEvaluate(node.connector)
        return (None if result is None else not result) if node.negated else result
    if not isinstance(node, Lookup) or not isinstance(node.lhs, Col):
        raise CannotEvaluate(type(node).__name__)
    left = _value(node.lhs, values)
    name = node.lookup_name
    if name == "isnull":
        return (left is None) == bool(node.rhs)
    right = _value(node.rhs, values)
    if name == "in":
        if left is None:
            return None
        if left in right:
            return True
        return None if None in right else False
    if name not in _COMPARE:
        raise CannotEvaluate(name)
    if left is None or right is None:
        return None
    try:
        return _COMPARE[name](left, right)
    except TypeError as error:
        raise CannotEvaluate(str(error)) from error


def check_constraint_error(
    instance: models.Model,
    model: type[models.Model],
    constraint: models.CheckConstraint,
    exclude: Collection[str],
) -> dict[str, list[ValidationError]]:
    """The field error of a violated check constraint (empty when it holds).

    Skipped, as Django skips it, where the condition names a field left out of the check
    (``exclude``: a field with an error already, or one a form does not show) that an
    editor sets; fields no editor sets (status, version) always hold the writer's values.
    """
    try:
        where = _compiled(model, constraint.condition)
        fields = _columns(where)
    except CannotEvaluate:
        return _asked_of_database(instance, model, constraint, exclude)
    if any(field.name in exclude and field.editable for field in fields):
        return {}
    try:
        holds = evaluate(where, lambda field: getattr(instance, field.attname))
    except CannotEvaluate:
        return _asked_of_database(instance, model, constraint, exclude)
    if holds is not False:
        return {}
    editable = {field.name for field in fields if field.editable}
    key = editable.pop() if len(editable) == 1 else NON_FIELD_ERRORS
    error = ValidationError(
        constraint.get_violation_error_message(), code=constraint.violation_error_code
    )
    return {key: [error]}


def _asked_of_database(instance, model, constraint, exclude) -> dict[str, list[ValidationError]]:
    try:
        constraint.validate(model, instance, exclude=exclude)
    except ValidationError as error:
        return {NON_FIELD_ERRORS: [error]}
    return {}


def _choice_allowed(field: models.ForeignKey, related: models.Model) -> bool:
    """Whether an instance in hand meets the key's ``limit_choices_to``."""
    limit = field.get_limit_choices_to()
    if not limit:
        return True
    if not isinstance(limit, Q):
        limit = Q(**limit)
    where = _compiled(field.related_model, limit)
    return evaluate(where, lambda column: getattr(related, column.attname)) is True


class CheckedRow(models.Model):
    """A model whose constraints and foreign keys are checked in Python (see above), and
    which remembers its values as last read from or written to the database."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        fields = None
        if update_fields is not None:
            fields = [self._meta.get_field(name).attname for name in update_fields]
        self._remember(fields)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The tuples the database gave: kept as they are, so reading costs nothing more.
        instance._stored = (field_names, values)
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        self._remember(
            None if fields is None else [self._meta.get_field(n).attname for n in fields]
        )

    def stored_values(self) -> dict[str, Any] | None:
        """The row's values in the database as this instance last read or wrote them, by
        column (``attname``); None for a row not read from the database."""
        stored = self.__dict__.get("_stored")
        return None if stored is None else dict(zip(*stored, strict=True))

    def _remember(self, attnames: Collection[str] | None = None) -> None:
        known = self.stored_values() or {}
        loaded = self.__dict__
        names = (
            [f.attname for f in self._meta.concrete_fields if f.attname in loaded]
            if attnames is None
            else attnames
        )
        known.update({name: loaded[name] for name in names if name in loaded})
        self._stored = (tuple(known), tuple(known.values()))

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        exclude = set(exclude or ())
        stored = self.stored_values() or {}
        errors: dict[str, list[ValidationError]] = {}
        for field in self._meta.concrete_fields:
            if not field.many_to_one or field.name in exclude:
                continue
            value = getattr(self, field.attname)
            if value is None:
                continue
            if field.attname in stored and stored[field.attname] == value:
                exclude.add(field.name)  # checked when it was written; the key keeps it
                continue
            related = field.get_cached_value(self, default=None)
            if related is not None and related.pk == value:
                exclude.add(field.name)
                if not _choice_allowed(field, related):
                    errors[field.name] = [
                        ValidationError(
                            field.error_messages["invalid"],
                            code="invalid",
                            params={
                                "model": field.remote_field.model._meta.verbose_name,
                                "pk": value,
                                "field": field.remote_field.field_name,
                                "value": value,
                            },
                        )
                    ]
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        exclude = set(exclude or ())
        errors: dict[str, list[ValidationError]] = {}
        others = []
        for model, constraints in self.get_constraints():
            for constraint in constraints:
                if isinstance(constraint, models.CheckConstraint):
                    found = check_constraint_error(self, model, constraint, exclude)
                    for key, messages in found.items():
                        errors.setdefault(key, []).extend(messages)
                else:
                    others.append((model, constraint))
        for model, constraint in others:
            try:
                constraint.validate(model, self, exclude=exclude)
            except ValidationError as error:
                if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                    errors.setdefault(constraint.fields[0], []).append(error)
                else:
                    errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
