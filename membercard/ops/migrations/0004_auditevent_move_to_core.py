"""The audit log's model moved to the ``core`` app: Django forgets it here, the table (and
its append-only triggers from 0002) stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ops", "0003_audit_kinds_signin"),
        ("core", "0003_auditevent"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")]
        )
    ]
