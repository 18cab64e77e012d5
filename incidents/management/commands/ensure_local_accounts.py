"""``manage.py ensure_local_accounts``: the documented accounts of a local development site.

Creates, if missing, ``admin`` (superuser), ``researcher`` (Researcher group) and
``reviewer`` (Reviewer group), each with its own name as password. Refuses to run in
production, where accounts are made with ``createsuperuser`` and the admin.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

ACCOUNTS = [
    ("admin", None, True),
    ("researcher", "Researcher", False),
    ("reviewer", "Reviewer", False),
]


class Command(BaseCommand):
    help = "Create the local development accounts admin, researcher and reviewer."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError(
                "Local accounts with known passwords are for development only; "
                "use createsuperuser in production."
            )
        User = get_user_model()
        for username, group_name, superuser in ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"is_staff": True, "is_superuser": superuser}
            )
            if created:
                user.set_password(username)
                user.save()
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
        self.stdout.write(
            "Admin at http://127.0.0.1:8000/admin/ — local accounts (password = user name): "
            "admin (superuser), researcher (Researcher), reviewer (Reviewer)."
        )
