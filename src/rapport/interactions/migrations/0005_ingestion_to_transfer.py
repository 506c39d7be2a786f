"""E-mail and calendar ingestion now lives in transfer (transfer 0003 took the tables over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("interactions", "0004_threads_commitments_cadence_ingestion"),
        ("transfer", "0003_ingestion_from_interactions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="IngestionItem"),
                migrations.DeleteModel(name="IngestionRun"),
            ],
            database_operations=[],
        ),
    ]
