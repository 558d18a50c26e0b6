"""Business days, their takings and the deposit receipts left the ledger app for this one.

The tables keep their names (``ledger_businessday``…); only Django's idea of which app
owns them moves, so nothing is written to the database.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("core", "0001_initial"),
        ("ledger", "0006_business_days"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="BusinessDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("business_date", models.DateField()),
                (
                    "state",
                    models.CharField(
                        choices=[("open", "Open"), ("closed", "Closed")],
                        db_default="open",
                        default="open",
                        max_length=8,
                    ),
                ),
                ("opened_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "totals",
                    models.JSONField(
                        blank=True,
                        help_text="The system's totals per tender and per kind at close.",
                        null=True,
                    ),
                ),
                (
                    "expected_total_minor",
                    models.BigIntegerField(
                        blank=True, help_text="Takings the ledger expects, all tenders.", null=True
                    ),
                ),
                (
                    "declared_total_minor",
                    models.BigIntegerField(
                        blank=True,
                        help_text="Takings counted by the manager, all tenders.",
                        null=True,
                    ),
                ),
                (
                    "variance_minor",
                    models.BigIntegerField(
                        blank=True, help_text="Counted minus expected (negative: short).", null=True
                    ),
                ),
                ("comment", models.TextField(blank=True, db_default="", default="")),
                (
                    "seal_digest",
                    models.CharField(blank=True, db_default="", default="", max_length=64),
                ),
                ("seal_operation_count", models.PositiveIntegerField(blank=True, null=True)),
                ("seal_last_operation_id", models.BigIntegerField(blank=True, null=True)),
                (
                    "closed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "location",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="business_days",
                        to="core.location",
                    ),
                ),
            ],
            options={"db_table": "ledger_businessday"},
        ),
        migrations.CreateModel(
            name="DayTakings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("tender", models.CharField(max_length=16)),
                ("expected_minor", models.BigIntegerField()),
                ("counted_minor", models.BigIntegerField()),
                (
                    "day",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="takings",
                        to="days.businessday",
                    ),
                ),
            ],
            options={"db_table": "ledger_daytakings"},
        ),
        migrations.CreateModel(
            name="DepositReceipt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("business_date", models.DateField()),
                ("amount_minor", models.BigIntegerField()),
                ("reference", models.CharField(blank=True, max_length=64)),
                ("note", models.TextField(blank=True)),
                ("recorded_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("idempotency_key", models.CharField(max_length=255)),
                (
                    "location",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.location",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"db_table": "ledger_depositreceipt"},
        ),
        migrations.AddConstraint(
            model_name="businessday",
            constraint=models.UniqueConstraint(
                fields=("location", "business_date"), name="one_day_per_store"
            ),
        ),
        migrations.AddConstraint(
            model_name="businessday",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("state", "open"),
                    models.Q(("closed_at__isnull", False), ("seal_operation_count__isnull", False)),
                    _connector="OR",
                ),
                name="closed_day_is_sealed",
            ),
        ),
        migrations.AddConstraint(
            model_name="daytakings",
            constraint=models.UniqueConstraint(
                fields=("day", "tender"), name="one_count_per_tender"
            ),
        ),
        migrations.AddConstraint(
            model_name="daytakings",
            constraint=models.CheckConstraint(
                condition=models.Q(("counted_minor__gte", 0)), name="counted_not_negative"
            ),
        ),
        migrations.AddIndex(
            model_name="depositreceipt",
            index=models.Index(fields=["location", "business_date"], name="deposit_store_day"),
        ),
        migrations.AddConstraint(
            model_name="depositreceipt",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount_minor__gt", 0)), name="deposit_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="depositreceipt",
            constraint=models.UniqueConstraint(
                fields=("recorded_by", "idempotency_key"), name="deposit_key_per_staff"
            ),
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations)
    ]
