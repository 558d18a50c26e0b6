"""Rollups read stock movements by business day, i.e. by their ``created_at`` range: an
index on that column keeps one day's read proportional to that day's movements."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("inventory", "0003_stocktake_guards"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reports_movement_created_at "
            "ON inventory_stockmovement (created_at)",
            "DROP INDEX IF EXISTS reports_movement_created_at",
        ),
    ]
