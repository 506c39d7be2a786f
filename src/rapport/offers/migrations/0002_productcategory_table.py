"""The catalog's table takes its own app's name, now that valuation's rows point here."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("offers", "0001_initial"),
        ("valuation", "0002_productcategory_to_offers"),
    ]

    operations = [
        migrations.AlterModelTable(name="productcategory", table=None),
    ]
