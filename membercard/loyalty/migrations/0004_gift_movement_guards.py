"""Triggers that keep the gift stock movements append-only (SQL in membercard/loyalty/sql/)."""

from pathlib import Path

from django.db import migrations

from membercard.core import guards

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def install(apps, schema_editor):
    guards.install(schema_editor, SQL_DIR)


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0003_gifts"), ("ledger", "0002_append_only_guards")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
