"""Drop the stored day rollups and month checkpoints: a deposit paid back on a hand-back
used to be netted into ``fees.deposits`` and value paid out counted as ``liab.other``; they
are now ``fees.deposits_refunded`` and ``liab.paid_out``. Rollups are figures derived from
the ledger and the stock movements; the next report (or ``membercard rollup``) computes
them again."""

from django.db import migrations


def drop_rollups(apps, schema_editor):
    for name in ("MonthCheckpoint", "CheckedMonth", "DayFigure", "RolledDay"):
        apps.get_model("reports", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_recount_replacements")]

    operations = [migrations.RunPython(drop_rollups, migrations.RunPython.noop)]
