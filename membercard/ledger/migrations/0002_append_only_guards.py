"""Database triggers that keep the ledger append-only (SQL in membercard/ledger/sql/)."""

from django.db import migrations

from membercard.ledger import guards


def install(apps, schema_editor):
    guards.install(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
