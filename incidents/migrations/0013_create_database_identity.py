"""Give the database its identity when it is created, so that no read has to write it."""

import uuid

from django.db import migrations


def create_identity(apps, schema_editor):
    DatabaseIdentity = apps.get_model("incidents", "DatabaseIdentity")
    if not DatabaseIdentity.objects.exists():
        DatabaseIdentity.objects.create(uuid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0012_database_identity_and_incident_origins"),
    ]

    operations = [migrations.RunPython(create_identity, migrations.RunPython.noop)]
