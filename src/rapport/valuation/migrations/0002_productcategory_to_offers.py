"""ProductCategory now lives in offers (the catalog): valuation's foreign keys follow it.

State only: the table is still valuation_productcategory when this runs (offers 0001 took
it over as it is), so the columns and their constraints already point at the right rows.
offers 0002 then renames the table, and the database carries the constraints along.
"""

import django.db.models.deletion
from django.db import migrations, models


def _category(**options):
    return models.ForeignKey(to="offers.productcategory", **options)


HISTORICAL = {
    "blank": True,
    "db_constraint": False,
    "null": True,
    "on_delete": django.db.models.deletion.DO_NOTHING,
    "related_name": "+",
}
PROTECT = django.db.models.deletion.PROTECT


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0001_initial"),
        ("valuation", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    "orderline",
                    "category",
                    _category(on_delete=PROTECT, related_name="order_lines"),
                ),
                migrations.AlterField(
                    "subscription",
                    "category",
                    _category(on_delete=PROTECT, related_name="subscriptions"),
                ),
                migrations.AlterField(
                    "walletestimate",
                    "category",
                    _category(on_delete=PROTECT, related_name="wallet_estimates"),
                ),
                migrations.AlterField(
                    "categoryshare",
                    "category",
                    _category(on_delete=django.db.models.deletion.CASCADE, related_name="+"),
                ),
                migrations.AlterField("historicalorderline", "category", _category(**HISTORICAL)),
                migrations.AlterField(
                    "historicalsubscription", "category", _category(**HISTORICAL)
                ),
                migrations.AlterField(
                    "historicalwalletestimate", "category", _category(**HISTORICAL)
                ),
                migrations.DeleteModel(name="ProductCategory"),
            ],
            database_operations=[],
        ),
    ]
