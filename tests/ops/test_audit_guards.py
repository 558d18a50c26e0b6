"""The database itself keeps the audit log append-only, on SQLite and PostgreSQL: raw SQL
UPDATE (of any column) and DELETE are refused. Deleting a staff member only clears the
link; the row keeps the username."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from membercard.core.models import Role
from membercard.ops.models import AuditEvent, AuditKind
from tests import factories as f

pytestmark = pytest.mark.django_db


def _event(staff, **fields) -> AuditEvent:
    return AuditEvent.objects.create(
        staff=staff,
        username=staff.username,
        role=staff.role,
        location_code=staff.location.code,
        **fields,
    )


def _two_events_differing_everywhere() -> tuple[AuditEvent, AuditEvent]:
    one = _event(
        f.staff(Role.HQ_ADMIN),
        kind=AuditKind.CHANGE,
        address="10.0.0.1",
        what="web:a",
        method="POST",
        path="/a",
        status=200,
        reference="operation=1",
        details={"a": 1},
    )
    other = _event(
        f.staff(Role.STORE_CASHIER),
        created_at=timezone.now() - dt.timedelta(days=1),
        kind=AuditKind.SIGN_IN,
        address="10.0.0.2",
        what="web:b",
        method="PUT",
        path="/b",
        status=403,
        reference="operation=2",
        details={"b": 2},
    )
    return one, other


def _refused(sql: str, params=()) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        return "append-only" in str(error)
    return False


def test_raw_update_of_every_column_is_refused():
    one, other = _two_events_differing_everywhere()
    columns = [field.column for field in AuditEvent._meta.concrete_fields]
    assert "staff_id" in columns and "details" in columns

    for column in columns:
        if column == "id":
            sql = "UPDATE ops_auditevent SET id = id + 1000 WHERE id = %s"
            params = [one.pk]
        else:
            sql = (
                f"UPDATE ops_auditevent SET {column} = "
                f"(SELECT {column} FROM ops_auditevent WHERE id = %s) WHERE id = %s"
            )
            params = [other.pk, one.pk]
        assert _refused(sql, params), f"an UPDATE of {column} went through"

    one.refresh_from_db()
    assert (one.username, one.status, one.details) == (one.staff.username, 200, {"a": 1})


def test_raw_delete_is_refused():
    one, _other = _two_events_differing_everywhere()

    assert _refused("DELETE FROM ops_auditevent WHERE id = %s", [one.pk])
    assert _refused("DELETE FROM ops_auditevent")
    assert AuditEvent.objects.count() == 2


def test_the_orm_cannot_change_or_delete_an_event_either():
    one, _other = _two_events_differing_everywhere()

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=one.pk).update(what="web:covered-up")
    with pytest.raises(DatabaseError), transaction.atomic():
        one.delete()

    assert AuditEvent.objects.get(pk=one.pk).what == "web:a"


def test_deleting_a_staff_member_keeps_the_event_and_the_username():
    staff = f.staff(Role.STORE_MANAGER)
    username = staff.username
    event = _event(staff, kind=AuditKind.SIGN_IN, address="10.0.0.3")

    staff.delete()

    event.refresh_from_db()
    assert (event.staff, event.username, event.role, event.address) == (
        None,
        username,
        "store_manager",
        "10.0.0.3",
    )


def test_clearing_the_link_cannot_hide_a_change_in_the_same_statement():
    one, other = _two_events_differing_everywhere()

    assert _refused(
        "UPDATE ops_auditevent SET staff_id = NULL, username = 'x' WHERE id = %s", [one.pk]
    )
    assert _refused(
        "UPDATE ops_auditevent SET staff_id = %s WHERE id = %s", [other.staff_id, one.pk]
    )
    assert AuditEvent.objects.get(pk=one.pk).username == one.username


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_still_empty_its_database_afterwards():
    """The flush after this test deletes the rows (SQLite: only under ``allow_purge``);
    the next test starting from an empty table shows it worked."""
    _event(f.staff(Role.HQ_ADMIN), kind=AuditKind.SIGN_IN)

    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_after_a_transactional_test_the_table_is_empty():
    assert AuditEvent.objects.count() == 0
