"""`membercard serve` runs a production server (gunicorn) serving pages and static files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "membercard"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["MEMBERCARD_DATA_DIR"] = str(tmp_path)
    subprocess.run([*CLI, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        # gunicorn says when it listens; reading its log blocks until then (no sleeping).
        for line in process.stderr:
            if "Booting worker" in line:
                break
        else:
            pytest.fail("the server exited before it listened")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def get(url: str) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(url, timeout=20) as response:
        return response.status, dict(response.headers), response.read()


def test_serve_runs_gunicorn_with_pages_and_static_files(server):
    status, headers, body = get(f"{server}/")
    assert status == 200
    assert headers["Server"].startswith("gunicorn")
    assert b"membercard" in body

    status, _, body = get(f"{server}/healthz")
    assert json.loads(body) == {"status": "ok", "database": "sqlite"}

    status, headers, _ = get(f"{server}/static/admin/css/base.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
