"""Triggers that keep the audit log append-only (SQL in membercard/ops/migrations/sql/)."""

from pathlib import Path

from django.db import migrations

from membercard.core import guards

SQL_DIR = Path(__file__).resolve().parent / "sql"


def install(apps, schema_editor):
    guards.install(schema_editor, SQL_DIR)


class Migration(migrations.Migration):
    dependencies = [("ops", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
