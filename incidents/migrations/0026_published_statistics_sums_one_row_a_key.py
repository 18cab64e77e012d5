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


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0025_published_statistics_sums_place_grains"),
    ]

    operations = [
        migrations.RunPython(one_row_a_key, migrations.RunPython.noop),
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
    ]
