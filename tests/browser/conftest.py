"""Browser tests: Playwright (sync API) driving Debian's Chromium against a live server on
the test database.

Browsers cannot be downloaded here, so Playwright launches the system Chromium
(``/usr/bin/chromium``, Debian package ``chromium``). Without it the browser tests skip
with a message saying how to install it, except when ``MEMBERCARD_REQUIRE_BROWSER=1``
(CI): then a missing browser is a failure, never a silent skip.

One browser per test session, a fresh context (cookies, storage) per test. The live
server is pytest-django's ``live_server`` (a thread in this process, transactional test
database), so factories in the test create the data the browser then sees.
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-gpu",
]
# Every expect/wait gives up after this long: a broken page fails fast, not after 30 s
# (generous still: CI machines are shared).
TIMEOUT_MS = 10_000


def find_chromium() -> str | None:
    """The Chromium executable: $MEMBERCARD_CHROMIUM, else Debian's, else on $PATH."""
    configured = os.environ.get("MEMBERCARD_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def browser_required() -> bool:
    return os.environ.get("MEMBERCARD_REQUIRE_BROWSER") == "1"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives Chromium with Playwright (tests/browser; skips without it)"
    )


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        message = (
            "No Chromium found (looked for /usr/bin/chromium): the browser tests need "
            "Debian's chromium package (apt-get install chromium), or set "
            "MEMBERCARD_CHROMIUM to a Chromium executable."
        )
        if browser_required():
            pytest.fail(message + " MEMBERCARD_REQUIRE_BROWSER=1: they must run here.")
        pytest.skip(message)
    return path


@pytest.fixture(scope="package")
def browser(chromium_path):
    """One Chromium for the browser tests (package scope: it is closed, and the setting
    below undone, before any other test of the session runs)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread while it is open;
    # Django would then refuse ORM calls from the test body ("async context"), which is
    # plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def server(live_server):
    """The live server, after one request: the first one imports the URL conf, views and
    templates, which takes seconds on a busy machine and must not count against a test."""
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns else
    with urllib.request.urlopen(f"{live_server.url}/login/", timeout=120) as response:
        assert response.status == 200
    return live_server


@pytest.fixture
def page(browser, server) -> Iterator:
    """A fresh browser tab at 10-inch tablet size, on the live server."""
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 800}, locale="en-US"
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()
