"""The permission to review possible duplicates (merge them, or mark them as distinct
events), granted with seeing them to the Researcher and Reviewer groups; the refresh also
grants the import permissions (add and view import runs; reviewers delete them), which
came with ImportRun in 0006 (see incidents.roles)."""

from django.db import migrations


def refresh_groups(apps, schema_editor):
    from incidents.roles import ensure_role_groups

    ensure_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0007_incident_documents"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="duplicatecandidate",
            options={
                "ordering": ["-score", "first_id"],
                "permissions": [
                    (
                        "review_duplicatecandidate",
                        "Can merge duplicate incidents or mark them distinct",
                    )
                ],
            },
        ),
        migrations.RunPython(refresh_groups, migrations.RunPython.noop),
    ]
