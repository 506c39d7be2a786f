"""Participants carry their customer organisation's id, like every account-scoped row."""

import django.db.models.deletion
from django.db import migrations, models


def fill_customer(apps, schema_editor):
    Participant = apps.get_model("interactions", "Participant")
    Interaction = apps.get_model("interactions", "Interaction")
    Participant.objects.filter(customer__isnull=True).update(
        customer_id=models.Subquery(
            Interaction.objects.filter(pk=models.OuterRef("interaction_id")).values("customer_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_industry_filter_index"),
        ("interactions", "0002_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.account",
            ),
        ),
        migrations.RunPython(fill_customer, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="participant",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.account",
            ),
        ),
    ]
