"""Permissions of a signed-in user, read in one statement.

Django's ``ModelBackend`` reads a user's permissions in two queries (those given to the
user, those of their groups), each joined to the content types and built by the ORM, on
every request that checks a permission: every write and every signed-in read. Here the
same set comes from one plain statement; superusers, inactive and anonymous users are
answered as Django answers them.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router


class ModelBackend(DjangoModelBackend):
    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if (
            not user_obj.is_active
            or user_obj.is_anonymous
            or obj is not None
            or user_obj.is_superuser
        ):
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = _permissions(user_obj)
        return user_obj._perm_cache


def _permissions(user) -> set[str]:
    """ "app_label.codename" of every permission the user has, directly or by a group."""
    meta = type(user)._meta
    given = meta.get_field("user_permissions").remote_field.through._meta
    groups = meta.get_field("groups").remote_field
    of_groups = groups.model._meta.get_field("permissions").remote_field.through._meta
    membership = groups.through._meta
    # Table and column names are the models' own; the user's id is a parameter.
    sql = (
        f"SELECT ct.app_label, p.codename FROM {Permission._meta.db_table} p "  # noqa: S608
        f"JOIN {ContentType._meta.db_table} ct ON ct.id = p.content_type_id "
        f"WHERE p.id IN (SELECT permission_id FROM {given.db_table} WHERE user_id = %s "
        f"UNION SELECT gp.permission_id FROM {of_groups.db_table} gp "
        f"JOIN {membership.db_table} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)"
    )
    connection = connections[router.db_for_read(Permission, instance=user)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk])
        return {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}
