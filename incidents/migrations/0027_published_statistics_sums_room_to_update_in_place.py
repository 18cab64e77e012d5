from django.db import migrations

TABLE = "incidents_publishedstatisticssum"


def room_to_update_in_place(apps, schema_editor):
    """Each page keeps room for its rows' next versions: a write changes only the figures,
    which no index holds, so PostgreSQL updates a row on its page and leaves the table's
    indexes alone (a heap-only update), where a full page made it write a new entry in
    each of the table's fifteen indexes for each of the thirty or so rows a publication
    moves. The table is rewritten so that its pages have that room now (about 20 s at a
    million incidents, the table locked meanwhile)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 85)")
        cursor.execute(f"VACUUM FULL ANALYZE {TABLE}")


def full_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    # VACUUM cannot run in a transaction.
    atomic = False

    dependencies = [
        ("incidents", "0026_published_statistics_sums_one_row_a_key"),
    ]

    operations = [
        migrations.RunPython(room_to_update_in_place, full_pages, atomic=False),
    ]
