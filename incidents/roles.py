"""The two roles of the research team, as Django groups with their permissions.

Researchers create and edit drafts and submit them for review; they cannot publish or
retract. Reviewers can do all that researchers can, and also publish, retract and edit
published incidents. The groups are created by a data migration, which calls
:func:`ensure_role_groups` with the migration's historical app registry.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db.models import Q

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
        # Possible duplicates: see them, merge (drafts only; published ones need a reviewer,
        # see services.incident_merge) or mark them as distinct events.
        "view_duplicatecandidate",
        "review_duplicatecandidate",
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
                "evidencefile",
            )
        ),
        # Evidence files: keep them for a source and download them. Making one public
        # (services.evidence_set_public) takes a reviewer.
        "add_evidencefile",
        "view_evidencefile",
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
        "delete_evidencefile",
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

    def permissions(spec: dict[str, list[str]]) -> list[Any]:
        # An older migration's state lacks the models and permissions added since; the
        # migration that brings them calls this again and grants them then.
        where = Q(pk__in=[])
        for app_label, codenames in spec.items():
            where |= Q(content_type__app_label=app_label, codename__in=codenames)
        return list(permission_model.objects.filter(where))

    researcher, _ = group_model.objects.get_or_create(name=RESEARCHER)
    researcher.permissions.set(permissions(RESEARCHER_PERMISSIONS))
    reviewer, _ = group_model.objects.get_or_create(name=REVIEWER)
    reviewer.permissions.set(
        permissions(RESEARCHER_PERMISSIONS) + permissions(REVIEWER_EXTRA_PERMISSIONS)
    )
