"""Trigram indexes so PostgreSQL answers `icontains` searches without a full scan.

Django compiles `name__icontains` to `UPPER(name::text) LIKE UPPER(%s)` on PostgreSQL,
so the indexes are on exactly that expression. SQLite has no equivalent; it scans.
"""

from django.db import migrations

INDEXES = [
    ("ix_account_name_trgm", "accounts_account", "name"),
    ("ix_contact_first_trgm", "accounts_contact", "first_name"),
    ("ix_contact_last_trgm", "accounts_contact", "last_name"),
    ("ix_contact_title_trgm", "accounts_contact", "title"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_remove_partnerlink_partner_link_once_per_role_and_more")]
    operations = [migrations.RunPython(create, drop)]
