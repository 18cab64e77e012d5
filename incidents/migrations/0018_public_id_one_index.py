"""An incident's public id is unique through one index.

``unique=True`` on a text column gives PostgreSQL two indexes of the same size: the unique
one, and a ``varchar_pattern_ops`` index for ``LIKE 'prefix%'`` searches, which nothing
makes (the admin's search is a case-insensitive substring match, which neither serves).
A named unique constraint keeps the unique index alone. The history table's copy of the
column loses its index too: history is read by incident, never by public id.
"""

from django.db import migrations, models


def public_id_field() -> models.CharField:
    return models.CharField(
        editable=False, help_text="e.g. SY-2025-0007", max_length=20, verbose_name="public id"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0017_open_upper_bounds_and_figure_kinds"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalincident", name="public_id", field=public_id_field()
        ),
        migrations.AlterField(model_name="incident", name="public_id", field=public_id_field()),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.UniqueConstraint(
                fields=("public_id",), name="incident_public_id_unique"
            ),
        ),
    ]
