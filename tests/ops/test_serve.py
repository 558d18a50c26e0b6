"""`membercard serve` runs a production server (gunicorn) serving pages and static files."""

from __future__ import annotations

import contextlib
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


# Card data never reaches gunicorn's logs -------------------------------------------------

VISA = "4556737586899855"
OURS = "8812345678901234"
SWIPE = f"%B{VISA}^DOE/JOHN^2512101000000000123?"


def _gunicorn_logger(**changes):
    """gunicorn's logger exactly as ``membercard serve`` configures it."""
    from gunicorn.config import Config

    from membercard.ops.management.commands import serve

    config = Config()
    options = serve.gunicorn_options(host="127.0.0.1", port=8000, workers=1, threads=1)
    for name, value in {**options, **changes}.items():
        config.set(name, value)
    return config.logger_class(config)


def test_gunicorn_access_and_error_lines_are_redacted(tmp_path: Path):
    from datetime import timedelta
    from types import SimpleNamespace
    from urllib.parse import quote

    # Only the destination changes (a file instead of stdout) so the lines can be read back.
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    log = _gunicorn_logger(accesslog=str(access), errorlog=str(errors))
    uris = [
        f"/counter/card/?card={quote(SWIPE, safe='')}",
        f"/hq/cards/?q={quote(f';{VISA}=2512101?', safe='')}",
        f"/api/v1/cards/{VISA}/operations",
        f"/hq/cards/{OURS}/",
    ]
    for uri in uris:
        path, _, query = uri.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": uri,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "192.0.2.1",
            "HTTP_REFERER": f"http://shop/hq/cards/?q={VISA}",
        }
        response = SimpleNamespace(status="404 Not Found", sent=9, headers=[])
        request = SimpleNamespace(headers=[("HOST", "shop")])
        log.access(response, request, environ, timedelta(milliseconds=12))
    log.error("Invalid request from ip=192.0.2.1: Invalid HTTP request line: 'GET %s'", uris[0])
    try:
        raise ValueError(f"bad card {SWIPE}")
    except ValueError:
        log.exception("Error handling request %s", uris[1])

    lines = access.read_text().splitlines()
    error_text = errors.read_text()
    assert len(lines) == len(uris)
    assert '"GET /counter/card/?card=[card data removed] HTTP/1.1" 404 9' in lines[0]
    assert '"GET /hq/cards/••••1234/ HTTP/1.1" 404' in lines[3]
    assert "Invalid HTTP request line: 'GET /counter/card/?card=[card data removed]'" in error_text
    assert "ValueError: bad card [card data removed]" in error_text
    for text in (access.read_text(), error_text):
        assert VISA not in text and "DOE%2FJOHN" not in text and "DOE/JOHN" not in text
        assert OURS not in text


def test_serve_writes_no_card_data_to_its_logs(tmp_path: Path):
    from urllib.error import HTTPError
    from urllib.parse import quote

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["MEMBERCARD_DATA_DIR"] = str(tmp_path)
    subprocess.run([*CLI, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    port = free_port()
    stdout = tmp_path / "serve.out"
    with stdout.open("w") as out:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port), "--workers", "1", "--no-scheduler"],
            env=env,
            stderr=subprocess.PIPE,
            stdout=out,
            text=True,
        )
        try:
            for line in process.stderr:
                if "Booting worker" in line:
                    break
            else:
                pytest.fail("the server exited before it listened")
            base = f"http://127.0.0.1:{port}"
            for url in (
                f"{base}/counter/card/?card={quote(SWIPE, safe='')}",
                f"{base}/hq/cards/{VISA}/",
                f"{base}/hq/cards/?q={quote(f';{VISA}=2512101?', safe='')}",
                f"{base}/api/v1/cards/{VISA}",
                f"{base}/hq/cards/{OURS}/",
            ):
                # 401 without a key, 405 for a GET on a POST page: the lines are what counts.
                with contextlib.suppress(HTTPError):
                    get(url)
        finally:
            process.terminate()
            _, rest = process.communicate(timeout=30)
    access = stdout.read_text()
    assert "/counter/card/?card=[card data removed]" in access
    assert "/api/v1/cards/[card data removed]" in access
    for text in (access, rest):
        assert VISA not in text and "DOE" not in text and OURS not in text
