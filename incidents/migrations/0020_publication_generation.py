"""The publication generation: one row counting the changes to what the public sees.

Cached public answers and the site's HTTP validators are keyed on it
(``incidents.readmodel.generation``).
"""

from django.db import migrations, models


def create_row(apps, schema_editor):
    apps.get_model("incidents", "PublicationGeneration").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0019_background_jobs"),
    ]

    operations = [
        migrations.CreateModel(
            name="PublicationGeneration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.BigIntegerField(default=0)),
                ("changed_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.RunPython(create_row, migrations.RunPython.noop),
    ]
