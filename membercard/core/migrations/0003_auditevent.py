"""The audit log's model moved from the ``ops`` app down to ``core``.

The table keeps its name (``ops_auditevent``) and its append-only triggers; only Django's
idea of which app owns it moves, so nothing is written to the database.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_staff_demo_login"),
        ("ops", "0003_audit_kinds_signin"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="when"
                    ),
                ),
                (
                    "username",
                    models.CharField(
                        blank=True, db_index=True, max_length=150, verbose_name="username"
                    ),
                ),
                ("role", models.CharField(blank=True, max_length=16, verbose_name="role")),
                (
                    "location_code",
                    models.CharField(
                        blank=True, db_index=True, max_length=16, verbose_name="location"
                    ),
                ),
                ("address", models.CharField(blank=True, max_length=64, verbose_name="address")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("sign_in", "Sign-in"),
                            ("sign_in_failed", "Failed sign-in"),
                            ("sign_out", "Sign-out"),
                            ("sign_in_locked", "Sign-in locked out"),
                            ("sign_in_unlocked", "Sign-in lock lifted"),
                            ("second_factor", "Second factor change"),
                            ("change", "Change"),
                            ("terminal_change", "Terminal key change"),
                            ("member_bulk_read", "Member data read in bulk"),
                            ("member_export", "Member data export"),
                            ("audit_export", "Audit log export"),
                            ("cli", "Operator command"),
                        ],
                        db_index=True,
                        max_length=24,
                        verbose_name="kind",
                    ),
                ),
                (
                    "what",
                    models.CharField(
                        blank=True,
                        help_text="URL name or action.",
                        max_length=120,
                        verbose_name="what",
                    ),
                ),
                ("method", models.CharField(blank=True, max_length=8, verbose_name="method")),
                ("path", models.CharField(blank=True, max_length=255, verbose_name="path")),
                (
                    "status",
                    models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="status"),
                ),
                (
                    "reference",
                    models.CharField(
                        blank=True,
                        help_text="Objects concerned.",
                        max_length=200,
                        verbose_name="reference",
                    ),
                ),
                ("details", models.JSONField(blank=True, default=dict, verbose_name="details")),
                (
                    "staff",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="staff member",
                    ),
                ),
            ],
            options={
                "verbose_name": "audit event",
                "verbose_name_plural": "audit events",
                "db_table": "ops_auditevent",
                "ordering": ["-pk"],
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations)]
