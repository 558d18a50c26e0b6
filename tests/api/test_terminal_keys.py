"""Terminal keys are made at HQ for one store (service and ``membercard terminal-key``),
shown once, and revoked."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from membercard.core.errors import NotFound, NotPermitted, ValidationFailed
from membercard.core.models import Role, Terminal
from membercard.core.terminals import authenticate_key, create_terminal_key
from tests import factories as f

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("terminal-key", *args, stdout=out)
    return out.getvalue().splitlines()


def test_create_prints_the_key_on_its_last_line(shop):
    lines = run("create", "--store", "S01", "--name", "till-1")
    key = lines[-1]
    terminal = authenticate_key(key)
    assert terminal is not None
    assert (terminal.location.code, terminal.name) == ("S01", "till-1")
    assert terminal.key_prefix in lines[0]
    assert key not in terminal.key_hash


def test_create_records_the_hq_admin(shop):
    admin = f.staff(Role.HQ_ADMIN)
    key = run("create", "--store", "S01", "--name", "till-2", "--by", admin.username)[-1]
    assert authenticate_key(key).created_by == admin


def test_only_an_hq_admin_may_make_keys(shop):
    cashier = f.staff(Role.STORE_CASHIER, shop)
    with pytest.raises(NotPermitted):
        create_terminal_key(store_code="S01", name="till-3", by=cashier)
    with pytest.raises(CommandError):
        run("create", "--store", "S01", "--name", "till-3", "--by", cashier.username)
    assert not Terminal.objects.exists()


@pytest.mark.parametrize(
    ("store", "name", "error"),
    [
        ("HQ", "till-1", NotFound),  # keys are for stores
        ("S99", "till-1", NotFound),
        ("S01", "", ValidationFailed),
        ("S01", "till\n1", ValidationFailed),
    ],
)
def test_create_refuses(shop, store, name, error):
    with pytest.raises(error):
        create_terminal_key(store_code=store, name=name)


def test_a_name_is_used_once_per_store(shop):
    create_terminal_key(store_code="S01", name="till-1")
    with pytest.raises(ValidationFailed):
        create_terminal_key(store_code="S01", name="till-1")
    f.store("S02")
    create_terminal_key(store_code="S02", name="till-1")


def test_revoke_by_prefix_or_by_store_and_name(shop):
    first, key1 = create_terminal_key(store_code="S01", name="till-1")
    _, key2 = create_terminal_key(store_code="S01", name="till-2")
    run("revoke", first.key_prefix)
    run("revoke", "--store", "S01", "--name", "till-2")
    assert authenticate_key(key1) is None
    assert authenticate_key(key2) is None
    revoked_at = Terminal.objects.get(pk=first.pk).revoked_at
    run("revoke", first.key_prefix)  # twice: harmless, the first time is kept
    assert Terminal.objects.get(pk=first.pk).revoked_at == revoked_at


def test_revoke_needs_one_way_to_name_the_key(shop):
    with pytest.raises(CommandError):
        run("revoke")
    with pytest.raises(CommandError):
        run("revoke", "nope")


def test_list_shows_state_and_never_the_key(shop):
    terminal, key = create_terminal_key(store_code="S01", name="till-1")
    create_terminal_key(store_code="S01", name="till-2")
    run("revoke", terminal.key_prefix)
    output = "\n".join(run("list", "--store", "S01"))
    assert "till-1" in output and "revoked" in output
    assert "till-2" in output and "active" in output
    assert key not in output
