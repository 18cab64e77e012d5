"""``field__any=[...]``: membership in a list passed as one parameter.

A page looks up hundreds of ids at a time. ``__in`` makes Django prepare every element
and the database parse a list of hundreds of literals; on PostgreSQL ``= ANY(%s)`` sends
one array parameter instead. Other databases get the plain ``IN`` list.
"""

from __future__ import annotations

from django.db.models import ForeignKey, Lookup
from django.db.models.fields import AutoField, BigAutoField, IntegerField


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [int(value) for value in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *values]


for field in (ForeignKey, AutoField, BigAutoField, IntegerField):
    field.register_lookup(AnyOf)
