"""``membercard serve`` starts the backup scheduler beside gunicorn and stops it with it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from membercard.ops.management.commands import serve
from tests.ops.test_serve import free_port

CLI = [sys.executable, "-m", "membercard"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_runs_the_scheduler_companion_and_stops_it(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        MEMBERCARD_DATA_DIR=str(tmp_path),
        MEMBERCARD_BACKUP_DIR=str(tmp_path / "backups"),
        MEMBERCARD_BACKUP_VERIFY="0",
    )
    subprocess.run([*CLI, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(free_port()), "--workers", "2"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        # No backup yet, so the scheduler makes one at once; its log says so (no sleeping).
        for line in process.stderr:
            if "scheduled backup" in line:
                break
        else:
            raise AssertionError("serve exited before the scheduler made its backup")
        lock = tmp_path / "backups" / "scheduler.lock"
        scheduler_pid = int(lock.read_text())
        assert alive(scheduler_pid)
        assert len(list((tmp_path / "backups").glob("membercard-*.sqlite3"))) == 1
    finally:
        process.terminate()
        process.wait(timeout=60)
    # gunicorn's master stopped its companion before it exited (and reaped it).
    assert not alive(scheduler_pid)


@pytest.mark.parametrize(("args", "hooked"), [((), True), (("--no-scheduler",), False)])
def test_no_scheduler_option_leaves_the_companion_out(monkeypatch, args, hooked):
    seen = {}
    monkeypatch.setattr(serve, "call_command", lambda *a, **k: None)
    monkeypatch.setattr(serve._Gunicorn, "run", lambda self: seen.update(self.options))
    call_command("serve", *args, stdout=io.StringIO())
    assert seen["bind"] == "127.0.0.1:8000"
    assert ("on_starting" in seen) is hooked
    assert ("on_exit" in seen) is hooked
