"""An import's dry run and import are core runs: progress and timings move there, data kept."""

import django.db.models.deletion
from django.db import migrations, models

CORE_STATUS = {"checked": "done", "done": "done", "failed": "failed"}
LOST = "Worker stopped: the process carrying out this run ended before it finished."


def to_core(apps, schema_editor):
    ImportRun = apps.get_model("transfer", "ImportRun")
    Run = apps.get_model("core", "Run")
    for old in ImportRun.objects.exclude(status="mapping").order_by("pk").iterator():
        status = CORE_STATUS.get(old.status, "failed" if old.started_at else "queued")
        run = Run.objects.create(
            job="import",
            status=status,
            done=old.processed,
            total=old.total,
            started_by_id=old.created_by_id,
            parameters={"options": {"import_run": old.pk}},
            error=LOST if status == "failed" and old.status != "failed" else "",
            created_at=old.created_at,
            started_at=old.started_at,
            finished_at=old.finished_at or old.checked_at,
            heartbeat_at=old.finished_at or old.checked_at or old.started_at,
        )
        changes = {"run": run}
        if status == "failed" and old.status != "failed":
            changes["status"] = "checked" if old.dry_run else "failed"
        ImportRun.objects.filter(pk=old.pk).update(**changes)


def from_core(apps, schema_editor):
    ImportRun = apps.get_model("transfer", "ImportRun")
    for old in ImportRun.objects.filter(run__isnull=False).select_related("run").iterator():
        ImportRun.objects.filter(pk=old.pk).update(
            processed=old.run.done,
            started_at=old.run.started_at,
            finished_at=None if old.status == "checked" else old.run.finished_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_run"),
        ("transfer", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="importrun",
            name="run",
            field=models.OneToOneField(
                blank=True,
                help_text="The dry run or import carrying this file out now, or last.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="import_run",
                to="core.run",
            ),
        ),
        migrations.AlterField(
            model_name="importrun",
            name="total",
            field=models.PositiveIntegerField(default=0, help_text="Rows in the file."),
        ),
        migrations.RunPython(to_core, from_core),
        migrations.RemoveField(model_name="importrun", name="processed"),
        migrations.RemoveField(model_name="importrun", name="started_at"),
        migrations.RemoveField(model_name="importrun", name="finished_at"),
    ]
