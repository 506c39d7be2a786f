"""E-mail and calendar ingestion moves here from interactions: state only, rows kept.

The tables are still interactions_ingestionrun and interactions_ingestionitem when this
runs (interactions 0004 made them); transfer takes them over as they are, then renames
them (the database carries the rows, constraints and indexes along).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

CHANNELS = [
    ("email", "E-mail"),
    ("call", "Call"),
    ("meeting", "Meeting"),
    ("web", "Web"),
    ("portal", "Portal"),
    ("edi", "EDI"),
    ("support", "Support"),
    ("partner", "Partner"),
    ("event", "Event"),
    ("training", "Training"),
    ("survey", "Survey"),
]
FORMATS = [
    ("csv", "CSV"),
    ("eml", "E-mail file (.eml)"),
    ("mbox", "Mailbox (mbox)"),
    ("ics", "Calendar (.ics)"),
]
STATUSES = [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")]
REVIEW = [
    ("open", "Waiting for review"),
    ("attached", "Attached to an account"),
    ("dismissed", "Dismissed"),
]


def _stamps():
    return [
        (
            "id",
            models.BigAutoField(
                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
            ),
        ),
        (
            "created_at",
            models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        ("updated_at", models.DateTimeField(auto_now=True)),
    ]


def _user(**options):
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="+",
        to=settings.AUTH_USER_MODEL,
        **options,
    )


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("interactions", "0004_threads_commitments_cadence_ingestion"),
        ("transfer", "0002_import_run_details"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IngestionRun",
                    fields=[
                        *_stamps(),
                        ("format", models.CharField(choices=FORMATS, max_length=8)),
                        ("filename", models.CharField(max_length=300)),
                        ("sha256", models.CharField(max_length=64)),
                        ("stored_path", models.CharField(blank=True, max_length=500)),
                        (
                            "status",
                            models.CharField(choices=STATUSES, default="queued", max_length=8),
                        ),
                        ("dry_run", models.BooleanField(default=False)),
                        ("total", models.PositiveIntegerField(default=0)),
                        ("processed", models.PositiveIntegerField(default=0)),
                        ("created", models.PositiveIntegerField(default=0)),
                        ("duplicates", models.PositiveIntegerField(default=0)),
                        ("queued_for_review", models.PositiveIntegerField(default=0)),
                        (
                            "errors",
                            models.JSONField(
                                blank=True, default=list, help_text="[{row, field, message}]"
                            ),
                        ),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("created_by", _user()),
                    ],
                    options={
                        "ordering": ["-created_at", "-id"],
                        "db_table": "interactions_ingestionrun",
                    },
                ),
                migrations.CreateModel(
                    name="IngestionItem",
                    fields=[
                        *_stamps(),
                        ("external_id", models.CharField(max_length=300, unique=True)),
                        ("occurred_at", models.DateTimeField(blank=True, null=True)),
                        ("channel", models.CharField(choices=CHANNELS, max_length=16)),
                        ("subject", models.CharField(blank=True, max_length=300)),
                        (
                            "addresses",
                            models.JSONField(
                                default=list, help_text="Every address the item names."
                            ),
                        ),
                        (
                            "payload",
                            models.JSONField(
                                default=dict, help_text="What the file said, to log it later."
                            ),
                        ),
                        ("reason", models.CharField(max_length=300)),
                        (
                            "status",
                            models.CharField(choices=REVIEW, default="open", max_length=16),
                        ),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "interaction",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="interactions.interaction",
                            ),
                        ),
                        ("resolved_by", _user()),
                        (
                            "run",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="items",
                                to="transfer.ingestionrun",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-occurred_at", "-id"],
                        "db_table": "interactions_ingestionitem",
                        "indexes": [
                            models.Index(fields=["status", "-occurred_at"], name="ix_review_queue")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="ingestionrun", table=None),
        migrations.AlterModelTable(name="ingestionitem", table=None),
    ]
