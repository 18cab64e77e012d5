"""``manage.py import_geojson FILE [--dry-run] [--user NAME]``: import a GeoJSON export."""

from incidents.imports import geojson
from incidents.imports.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import incidents (with their claims, sources, actors and episodes) from this "
        "product's GeoJSON export; records are matched by public id and slug."
    )
    row_name = "feature"
    importer = staticmethod(geojson.import_file)
