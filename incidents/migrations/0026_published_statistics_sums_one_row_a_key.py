from django.db import migrations, models

TABLE = "incidents_publishedstatisticssum"
KEY = (
    "grain, day, month, governorate_id, event_type, episode_id, place_id, actor_id, "
    "confidence, co_actor_id, co_confidence"
)


def one_row_a_key(apps, schema_editor):
    """Where two rows hold one key (two writes that made the same new row at once, before
    this constraint), every row is summed again from the incidents."""
    connection = schema_editor.connection
    if not connection.features.supports_nulls_distinct_unique_constraints:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {TABLE} GROUP BY {KEY} HAVING count(*) > 1 LIMIT 1"  # noqa: S608
        )
        doubled = cursor.fetchone()
    if doubled:
        from incidents.readmodel import statsums

        statsums.rebuild(apps)


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
        ("incidents", "0025_published_statistics_sums_place_grains"),
    ]

    operations = [
        migrations.RunPython(one_row_a_key, migrations.RunPython.noop, atomic=True),
        migrations.AddConstraint(
            model_name="publishedstatisticssum",
            constraint=models.UniqueConstraint(
                fields=(
                    "grain",
                    "day",
                    "month",
                    "governorate",
                    "event_type",
                    "episode",
                    "place",
                    "actor",
                    "confidence",
                    "co_actor",
                    "co_confidence",
                ),
                name="statsum_one_row_a_key",
                nulls_distinct=False,
            ),
        ),
        migrations.RunPython(room_to_update_in_place, full_pages, atomic=False),
    ]
