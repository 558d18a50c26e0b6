"""Triggers that keep the stock movement ledger append-only (SQL in membercard/inventory/sql/)."""

from django.db import migrations

from membercard.inventory import guards


def install(apps, schema_editor):
    guards.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial"), ("ledger", "0002_append_only_guards")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
