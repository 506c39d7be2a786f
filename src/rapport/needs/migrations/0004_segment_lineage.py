"""Needs segments carry a lineage (their identity across runs) and what they continue.

Segments stored before this get a lineage each, numbered in the order they were made; no
continuation is guessed for them: the next recompute matches its segments to the current
ones and carries their lineages on.
"""

import django.db.models.deletion
from django.db import migrations, models


def number_lineages(apps, schema_editor):
    NeedsSegment = apps.get_model("needs", "NeedsSegment")
    segments = [
        NeedsSegment(pk=pk, lineage=number)
        for number, pk in enumerate(
            NeedsSegment.objects.order_by("pk").values_list("pk", flat=True), start=1
        )
    ]
    NeedsSegment.objects.bulk_update(segments, ["lineage"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("needs", "0003_portfolio_picture"),
    ]

    operations = [
        migrations.AddField(
            model_name="needssegment",
            name="lineage",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.RunPython(number_lineages, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="needssegment",
            name="lineage",
            field=models.PositiveIntegerField(
                db_index=True,
                help_text="The segment's identity across runs: its continuation's, else a new number.",
            ),
        ),
        migrations.AddField(
            model_name="needssegment",
            name="continues",
            field=models.ForeignKey(
                blank=True,
                help_text="The segment of the previous run it continues; empty when new in its run.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="needs.needssegment",
            ),
        ),
        migrations.AddField(
            model_name="needssegment",
            name="continued_share",
            field=models.FloatField(
                blank=True,
                help_text="Share of the continued segment's members that are in this one.",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="needssegment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_current", True)),
                fields=("lineage",),
                name="segment_lineage_one_current",
            ),
        ),
    ]
