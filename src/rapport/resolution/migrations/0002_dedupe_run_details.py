"""DedupeRun becomes the detail of a core Run: its bookkeeping moves there, data kept."""

import django.db.models.deletion
from django.db import migrations, models

MOVED = (
    "status",
    "progress",
    "error",
    "created_by",
    "started_at",
    "finished_at",
    "model_name",
    "model_version",
)


def to_core(apps, schema_editor):
    DedupeRun = apps.get_model("resolution", "DedupeRun")
    Run = apps.get_model("core", "Run")
    for old in DedupeRun.objects.order_by("pk").iterator():
        run = Run.objects.create(
            job="dedupe",
            status=old.status,
            done=old.progress,
            total=100,
            model_name=old.model_name,
            model_version=old.model_version,
            parameters={"options": {"kind": old.kind, "threshold": old.threshold}},
            error=old.error,
            started_by_id=old.created_by_id,
            created_at=old.created_at,
            started_at=old.started_at,
            finished_at=old.finished_at,
            heartbeat_at=old.finished_at or old.started_at,
        )
        DedupeRun.objects.filter(pk=old.pk).update(run=run)


def from_core(apps, schema_editor):
    DedupeRun = apps.get_model("resolution", "DedupeRun")
    for old in DedupeRun.objects.select_related("run").iterator():
        run = old.run
        DedupeRun.objects.filter(pk=old.pk).update(
            status=run.status,
            progress=min(run.done, 100),
            error=run.error,
            created_by_id=run.started_by_id,
            started_at=run.started_at,
            finished_at=run.finished_at,
            model_name=run.model_name,
            model_version=run.model_version,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_run"),
        ("resolution", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="deduperun",
            name="run",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="dedupe_run",
                to="core.run",
            ),
        ),
        migrations.RunPython(to_core, from_core),
        migrations.AlterField(
            model_name="deduperun",
            name="run",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="dedupe_run",
                to="core.run",
            ),
        ),
        *(migrations.RemoveField(model_name="deduperun", name=name) for name in MOVED),
    ]
