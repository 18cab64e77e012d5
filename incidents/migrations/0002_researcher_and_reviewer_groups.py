"""Create the Researcher and Reviewer groups with their permissions.

Researchers create and edit drafts and submit them for review; they cannot publish or
retract. Reviewers can do all that researchers can, and also publish, retract and edit
published incidents.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RESEARCHER = {
    "incidents": [
        "add_incident", "change_incident", "view_incident", "submit_incident",
        "add_claim", "change_claim", "delete_claim", "view_claim",
        "add_attribution", "change_attribution", "delete_attribution", "view_attribution",
        "add_source", "change_source", "view_source",
        "add_actor", "change_actor", "view_actor",
        "add_episode", "change_episode", "view_episode",
        "add_episodeclaim", "change_episodeclaim", "view_episodeclaim",
        "add_victimgroup", "change_victimgroup", "view_victimgroup",
        "view_historicalincident", "view_historicalclaim", "view_historicalsource",
        "view_historicalactor", "view_historicalepisode", "view_historicalepisodeclaim",
        "view_historicalattribution",
    ],
    "mapping": ["add_place", "change_place", "view_place", "view_historicalplace"],
}
REVIEWER_EXTRA = {
    "incidents": [
        "publish_incident", "retract_incident",
        "delete_episodeclaim", "delete_source", "delete_actor",
    ],
    "mapping": ["delete_place"],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(spec):
        found = []
        for app_label, codenames in spec.items():
            for codename in codenames:
                found.append(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )
        return found

    researcher, _ = Group.objects.get_or_create(name="Researcher")
    researcher.permissions.set(permissions(RESEARCHER))
    reviewer, _ = Group.objects.get_or_create(name="Reviewer")
    reviewer.permissions.set(permissions(RESEARCHER) + permissions(REVIEWER_EXTRA))


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
