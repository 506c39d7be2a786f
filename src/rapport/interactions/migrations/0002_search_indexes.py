"""Trigram index on interaction subjects for search on PostgreSQL (see accounts 0004)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS ix_interaction_subject_trgm ON interactions_interaction"
        ' USING gin ((UPPER("subject"::text)) gin_trgm_ops)'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS ix_interaction_subject_trgm")


class Migration(migrations.Migration):
    dependencies = [("interactions", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
