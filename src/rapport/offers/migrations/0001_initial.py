"""ProductCategory moves here from valuation: only Django's state moves, the table and its
rows stay (valuation_productcategory, renamed to offers_productcategory in 0002)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("valuation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ProductCategory",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, editable=False
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("name", models.CharField(max_length=100, unique=True)),
                        ("description", models.CharField(blank=True, max_length=300)),
                    ],
                    options={
                        "verbose_name_plural": "product categories",
                        "ordering": ["name"],
                        "db_table": "valuation_productcategory",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
