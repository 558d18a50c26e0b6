"""Drop the stored day rollups and month checkpoints: a card issued from stock as a
replacement used to be rolled up as sold (``stock.sold``, ``cost.sold``) and is now
``stock.replaced`` / ``cost.replaced``. Rollups are figures derived from the ledger and the
stock movements; the next report (or ``membercard rollup``) computes them again."""

from django.db import migrations


def drop_rollups(apps, schema_editor):
    for name in ("MonthCheckpoint", "CheckedMonth", "DayFigure", "RolledDay"):
        apps.get_model("reports", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_movement_time_index")]

    operations = [migrations.RunPython(drop_rollups, migrations.RunPython.noop)]
