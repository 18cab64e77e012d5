"""Published ranges come from public claims only, unless a reviewer decides otherwise.

Adds ``Incident.figures_include_confidential`` and recomputes, from their public claims,
the figures of incidents that a confidential source's claim had moved (see
``incidents.reconciliation.recompute_public_figures``); their map cells follow.
"""

from django.db import migrations, models


def recompute(apps, schema_editor):
    from incidents.reconciliation import recompute_public_figures

    recompute_public_figures(apps)


def flag() -> models.BooleanField:
    return models.BooleanField(
        default=False,
        help_text="Reviewers only: count the claims of confidential sources in the range. "
        "The public record then says that it includes confidential figures.",
        verbose_name="range includes confidential claims",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0013_create_database_identity"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalincident", name="figures_include_confidential", field=flag()
        ),
        migrations.AddField(
            model_name="incident", name="figures_include_confidential", field=flag()
        ),
        # Backwards: the figures stay as recomputed (the old rule cannot be told apart).
        migrations.RunPython(recompute, migrations.RunPython.noop),
    ]
