"""``manage.py import_acled FILE``: import an ACLED CSV export (see incidents.imports.acled)."""

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Import an ACLED CSV export: new events as draft incidents, known ones updated."
    format = "acled"
    label = "ACLED"
