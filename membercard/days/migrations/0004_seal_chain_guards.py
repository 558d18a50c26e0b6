"""The seal chain: append-only guards (SQL in membercard/days/migrations/sql/), and the
chains of the days closed or reopened before it existed, written from what they kept."""

from pathlib import Path

from django.db import migrations

from membercard.core import guards
from membercard.days.seal_chain import _fields, chain_hash

SQL_DIR = Path(__file__).resolve().parent / "sql"


def install(apps, schema_editor):
    guards.install(schema_editor, SQL_DIR)


def _add(SealEvent, day, previous: str, **fields) -> str:
    event = SealEvent(
        location_id=day.location_id,
        business_date=day.business_date,
        previous_hash=previous,
        **fields,
    )
    event.hash = chain_hash(previous, _fields(event))
    event.save()
    return event.hash


def _seal(source) -> dict:
    return {
        "seal_digest": source.seal_digest,
        "seal_operation_count": source.seal_operation_count or 0,
        "seal_last_operation_id": source.seal_last_operation_id,
    }


def backfill(apps, schema_editor):
    BusinessDay = apps.get_model("days", "BusinessDay")
    DayReopening = apps.get_model("days", "DayReopening")
    SealEvent = apps.get_model("days", "SealEvent")
    reopened = DayReopening.objects.values_list("day_id", flat=True)
    days = BusinessDay.objects.filter(state="closed") | BusinessDay.objects.filter(pk__in=reopened)
    for day in days.distinct().order_by("business_date", "location_id"):
        previous = ""
        for kept in DayReopening.objects.filter(day=day).order_by("pk"):
            previous = _add(
                SealEvent,
                day,
                previous,
                kind="sealed",
                at=kept.closed_at,
                staff_id=kept.closed_by_id,
                reason="",
                **_seal(kept),
            )
            previous = _add(
                SealEvent,
                day,
                previous,
                kind="reopened",
                at=kept.reopened_at,
                staff_id=kept.approved_by_id,
                requested_by_id=kept.requested_by_id,
                reason=kept.reason,
                approval_request_id=kept.approval_request_id,
                **_seal(kept),
            )
        if day.state == "closed":
            _add(
                SealEvent,
                day,
                previous,
                kind="sealed",
                at=day.closed_at,
                staff_id=day.closed_by_id,
                reason="",
                **_seal(day),
            )


class Migration(migrations.Migration):
    dependencies = [("days", "0003_seal_chain_negative_counts")]
    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
