"""Load the starter attribute catalogue (rapport.memory.catalogue) into a new database."""

from django.db import migrations


def load(apps, schema_editor):
    from rapport.memory.catalogue import STARTER_CATALOGUE

    Attribute = apps.get_model("memory", "Attribute")
    for entry in STARTER_CATALOGUE:
        Attribute.objects.get_or_create(key=entry["key"], defaults=entry)


def unload(apps, schema_editor):
    from rapport.memory.catalogue import STARTER_CATALOGUE

    Attribute = apps.get_model("memory", "Attribute")
    Attribute.objects.filter(
        key__in=[entry["key"] for entry in STARTER_CATALOGUE], facts__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("memory", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
