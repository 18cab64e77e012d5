"""Create the Researcher and Reviewer groups with their permissions (see incidents.roles)."""

from django.db import migrations


def create_groups(apps, schema_editor):
    from incidents.roles import ensure_role_groups

    ensure_role_groups(apps)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Researcher", "Reviewer"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial_domain"),
        ("mapping", "0001_gazetteer_places"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
