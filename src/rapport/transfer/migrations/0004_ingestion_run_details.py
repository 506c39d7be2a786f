"""An ingestion is a core run: status, progress and timings move there, data kept."""

import django.db.models.deletion
from django.db import migrations, models

LOST = "Worker stopped: the process carrying out this run ended before it finished."


def to_core(apps, schema_editor):
    IngestionRun = apps.get_model("transfer", "IngestionRun")
    Run = apps.get_model("core", "Run")
    for old in IngestionRun.objects.order_by("pk").iterator():
        status = old.status
        if status == "running":
            status = "failed"  # its process is long gone
        run = Run.objects.create(
            job="ingestion",
            status=status,
            done=old.processed,
            total=old.total,
            started_by_id=old.created_by_id,
            parameters={"options": {"ingestion_run": old.pk}},
            error=LOST if old.status == "running" else "",
            created_at=old.created_at,
            started_at=old.started_at,
            finished_at=old.finished_at,
            heartbeat_at=old.finished_at or old.started_at,
        )
        changes = {"run": run}
        if old.status == "running" and not old.errors:
            message = f"The import stopped: {LOST}"
            changes["errors"] = [{"row": None, "field": "file", "message": message}]
        IngestionRun.objects.filter(pk=old.pk).update(**changes)


def from_core(apps, schema_editor):
    IngestionRun = apps.get_model("transfer", "IngestionRun")
    for old in IngestionRun.objects.filter(run__isnull=False).select_related("run").iterator():
        IngestionRun.objects.filter(pk=old.pk).update(
            status=old.run.status,
            processed=old.run.done,
            started_at=old.run.started_at,
            finished_at=old.run.finished_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_run"),
        ("transfer", "0003_ingestion_from_interactions"),
    ]

    operations = [
        migrations.AddField(
            model_name="ingestionrun",
            name="run",
            field=models.OneToOneField(
                blank=True,
                help_text="The run carrying this file in (status, progress, timings).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="ingestion_run",
                to="core.run",
            ),
        ),
        migrations.RunPython(to_core, from_core),
        migrations.RemoveField(model_name="ingestionrun", name="status"),
        migrations.RemoveField(model_name="ingestionrun", name="processed"),
        migrations.RemoveField(model_name="ingestionrun", name="started_at"),
        migrations.RemoveField(model_name="ingestionrun", name="finished_at"),
    ]
