"""``manage.py import_ucdp FILE``: import a UCDP GED CSV file (see incidents.imports.ucdp)."""

from ._import_base import ImportCommand


class Command(ImportCommand):
    help = "Import a UCDP GED CSV file: new events as draft incidents, known ones updated."
    format = "ucdp"
    label = "UCDP GED"
