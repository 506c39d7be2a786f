"""ModelRun becomes the detail of a core Run: its bookkeeping moves there, data kept."""

import django.db.models.deletion
from django.db import migrations, models

MOVED = (
    "status",
    "total",
    "processed",
    "parameters",
    "error",
    "triggered_by",
    "started_at",
    "finished_at",
    "model_name",
    "model_version",
)


def to_core(apps, schema_editor):
    ModelRun = apps.get_model("valuation", "ModelRun")
    Run = apps.get_model("core", "Run")
    for old in ModelRun.objects.order_by("pk").iterator():
        run = Run.objects.create(
            job=old.kind,
            status=old.status,
            done=old.processed,
            total=old.total,
            model_name=old.model_name,
            model_version=old.model_version,
            parameters=old.parameters,
            error=old.error,
            started_by_id=old.triggered_by_id,
            created_at=old.created_at,
            started_at=old.started_at,
            finished_at=old.finished_at,
            heartbeat_at=old.finished_at or old.started_at,
        )
        ModelRun.objects.filter(pk=old.pk).update(run=run)


def from_core(apps, schema_editor):
    ModelRun = apps.get_model("valuation", "ModelRun")
    for old in ModelRun.objects.select_related("run").iterator():
        run = old.run
        ModelRun.objects.filter(pk=old.pk).update(
            status=run.status,
            processed=run.done,
            total=run.total,
            model_name=run.model_name,
            model_version=run.model_version,
            parameters=run.parameters,
            error=run.error[:1000],
            triggered_by_id=run.started_by_id,
            started_at=run.started_at,
            finished_at=run.finished_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_run"),
        ("valuation", "0002_productcategory_to_offers"),
    ]

    operations = [
        migrations.AddField(
            model_name="modelrun",
            name="run",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="model_run",
                to="core.run",
            ),
        ),
        migrations.RunPython(to_core, from_core),
        migrations.AlterField(
            model_name="modelrun",
            name="run",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="model_run",
                to="core.run",
            ),
        ),
        migrations.RemoveIndex(model_name="modelrun", name="ix_run_kind"),
        *(migrations.RemoveField(model_name="modelrun", name=name) for name in MOVED),
    ]
