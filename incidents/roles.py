"""The two roles of the research team, as Django groups with their permissions.

Researchers create and edit drafts and submit them for review; they cannot publish or
retract. Reviewers can do all that researchers can, and also publish, retract and edit
published incidents. The groups are created by a data migration, which calls
:func:`ensure_role_groups` with the migration's historical app registry.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management import create_permissions

RESEARCHER = "Researcher"
REVIEWER = "Reviewer"

RESEARCHER_PERMISSIONS: dict[str, list[str]] = {
    "incidents": [
        *(f"{action}_incident" for action in ("add", "change", "view", "submit")),
        *(f"{action}_claim" for action in ("add", "change", "delete", "view")),
        *(f"{action}_attribution" for action in ("add", "change", "delete", "view")),
        *(
            f"{action}_{model}"
            for model in ("source", "actor", "episode", "episodeclaim", "victimgroup")
            for action in ("add", "change", "view")
        ),
        *(
            f"view_historical{model}"
            for model in (
                "incident",
                "claim",
                "source",
                "actor",
                "episode",
                "episodeclaim",
                "attribution",
            )
        ),
        # Importing a file: upload it, see the preview, confirm it.
        "add_importrun",
        "view_importrun",
    ],
    "mapping": ["add_place", "change_place", "view_place", "view_historicalplace"],
}
REVIEWER_EXTRA_PERMISSIONS: dict[str, list[str]] = {
    "incidents": [
        "publish_incident",
        "retract_incident",
        "delete_episodeclaim",
        "delete_source",
        "delete_actor",
        "delete_importrun",
    ],
    "mapping": ["delete_place"],
}


def ensure_role_groups(apps: Any) -> None:
    """Create or refresh both groups; ``apps`` is a (historical) app registry."""
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")

    def exists(app_label: str, codename: str) -> bool:
        # A migration's registry may predate a model (ImportRun came after the groups):
        # its permissions are granted by the later migration that refreshes the groups.
        try:
            apps.get_model(app_label, codename.split("_", 1)[1])
        except LookupError:
            return False
        return True

    def permissions(spec: dict[str, list[str]]) -> list[Any]:
        return [
            permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codenames in spec.items()
            for codename in codenames
            if exists(app_label, codename)
        ]

    researcher, _ = group_model.objects.get_or_create(name=RESEARCHER)
    researcher.permissions.set(permissions(RESEARCHER_PERMISSIONS))
    reviewer, _ = group_model.objects.get_or_create(name=REVIEWER)
    reviewer.permissions.set(
        permissions(RESEARCHER_PERMISSIONS) + permissions(REVIEWER_EXTRA_PERMISSIONS)
    )
