from django.db import migrations


def sum_places(apps, schema_editor):
    """The rows of the grains of places without months (17 to 19), from the incidents."""
    from incidents.readmodel import statsums

    statsums.rebuild_grains((17, 18, 19), apps)


def forget_places(apps, schema_editor):
    model = apps.get_model("incidents", "PublishedStatisticsSum")
    model.objects.filter(grain__in=(17, 18, 19)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0024_published_statistics_sums_grains"),
    ]

    operations = [
        migrations.RunPython(sum_places, forget_places),
    ]
