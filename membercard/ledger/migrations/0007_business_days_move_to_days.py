"""Business days moved to the ``days`` app: Django forgets them here, the tables stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0006_business_days"),
        ("days", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DayTakings"),
                migrations.DeleteModel(name="DepositReceipt"),
                migrations.DeleteModel(name="BusinessDay"),
            ]
        )
    ]
