"""An index for the ``q`` filter: trigrams on PostgreSQL, an FTS5 table on SQLite.

See ``incidents.textsearch``. The same function also runs after every ``migrate``, because
SQLite drops the table's triggers whenever a later migration rebuilds the incident table.
"""

from django.db import migrations


def make(apps, schema_editor):
    from incidents.textsearch import ensure_index

    ensure_index(schema_editor.connection)


def drop(apps, schema_editor):
    from incidents.textsearch import drop_index

    drop_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0014_incident_figures_from_public_claims")]

    operations = [migrations.RunPython(make, drop, elidable=False)]
