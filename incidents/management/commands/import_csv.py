"""``manage.py import_csv FILE [--dry-run] [--user NAME]``: import a CSV export."""

from incidents.imports import own_csv
from incidents.imports.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import incidents (with their claims, sources, actors and episodes) from this "
        "product's CSV export; records are matched by public id and slug."
    )
    row_name = "line"
    importer = staticmethod(own_csv.import_file)
