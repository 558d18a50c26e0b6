"""The Content-Security-Policy in a real browser: the pages staff use most, the admin and the
API docs load and work with zero CSP violations (Chromium reports each refused inline
script, inline style, eval or foreign source on the console).

What "work" means per page: the counter looks a card up (htmx, counter.js); the report draws
its chart; the back-office list's select sends its form (app.js); the admin's change list
renders with its stylesheet and scripts; Swagger UI renders the operations from the schema.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from membercard.core.models import Role
from membercard.core.terminals import create_terminal_key
from tests import factories as f
from tests.browser.helpers import sign_in, staff, swipe
from tests.ledger.helpers import pay


class Console:
    """Every console message and uncaught page error of one tab, as text, and every
    answer of 400 or more (the console names no address for those)."""

    def __init__(self, page) -> None:
        self.lines: list[str] = []
        self.failed: list[str] = []
        page.on("console", lambda message: self.lines.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.lines.append(f"pageerror: {error}"))
        page.on("response", self._response)

    def _response(self, response) -> None:
        # The browser asks for /favicon.ico by itself; we have none, and it is no page.
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.failed.append(f"{response.status} {response.url}")

    @property
    def violations(self) -> list[str]:
        return [line for line in self.lines if "Content Security Policy" in line]

    @property
    def errors(self) -> list[str]:
        return [
            line
            for line in self.lines
            if line.startswith(("error:", "pageerror:")) and "Failed to load resource" not in line
        ]


@pytest.fixture
def console(page) -> Console:
    return Console(page)


def assert_enforced(response) -> None:
    """The page came with the strict policy (zero violations without one would prove
    nothing)."""
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, policy
    assert "unsafe-inline" not in policy.split("style-src")[0], policy
    assert "unsafe-eval" not in policy, policy


def assert_clean(console: Console) -> None:
    assert console.violations == [], "\n".join(console.violations)
    assert console.errors == [], "\n".join(console.errors)
    assert console.failed == [], "\n".join(console.failed)


def test_the_counter_looks_a_card_up_without_a_csp_violation(page, console):
    cashier = staff(Role.STORE_CASHIER, f.store())
    card = f.sold_card(f.actor(Role.STORE_MANAGER, f.store()), f.product(), 10_000)
    sign_in(page, cashier)
    assert_enforced(page.goto(reverse("web:counter")))
    swipe(page, card)
    expect(page.locator("#card-panel #balance")).to_contain_text("100.00")
    assert_clean(console)


def test_a_report_with_its_chart_has_no_csp_violation(page, console):
    finance = staff(Role.HQ_FINANCE)
    seller = f.actor(Role.STORE_MANAGER, f.store())
    card = f.sold_card(seller, f.product(), 10_000)
    pay(seller, card, 1_250)  # the chart draws daily consumption
    sign_in(page, finance)
    today = timezone.localdate()
    start = today - dt.timedelta(days=6)
    response = page.goto(
        reverse("web:report", args=["sales-inventory"])
        + f"?date_from={start.isoformat()}&date_to={today.isoformat()}"
    )
    assert_enforced(response)
    expect(page.locator("svg.chart")).to_be_visible()
    # The stylesheet (app.css, no inline <style>) sized the chart to the page.
    assert page.locator("svg.chart").evaluate("e => getComputedStyle(e).maxWidth") == "760px"
    assert_clean(console)


def test_a_back_office_list_and_its_auto_sending_select_work_under_the_policy(page, console):
    admin = staff(Role.HQ_ADMIN)
    f.store("S02")
    sign_in(page, admin)
    assert_enforced(page.goto(reverse("web:staff")))
    expect(page.locator("main table")).to_be_visible()
    select = page.locator("select[name=location]")
    value = select.locator("option").nth(1).get_attribute("value")
    # No inline onchange: app.js sends the form when the choice changes.
    with page.expect_navigation():
        select.select_option(value)
    assert f"location={value}" in page.url
    assert_clean(console)


def test_a_revoke_asks_first_without_an_inline_handler(page, console):
    """``data-confirm`` (app.js) replaced ``onsubmit="return confirm(…)"``: dismissing the
    question sends nothing, accepting it revokes the key."""
    admin = staff(Role.HQ_ADMIN)
    terminal, _key = create_terminal_key(store_code=f.store().code, name="till-1")
    sign_in(page, admin)
    assert_enforced(page.goto(reverse("web:terminals")))
    questions: list[str] = []
    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.locator("form[data-confirm] button").click()
    assert questions
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    with page.expect_navigation():
        page.locator("form[data-confirm] button").click()
    terminal.refresh_from_db()
    assert len(questions) == 2 and terminal.revoked_at is not None
    # Requests leave in order: a POST from the dismissed question would be listed first.
    assert [urlsplit(url).path for url in posts] == [
        reverse("web:terminal-revoke", args=[terminal.pk])
    ]
    assert_clean(console)


def test_the_admin_works_under_the_policy(page, console):
    admin = staff(Role.HQ_ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    sign_in(page, admin)
    assert_enforced(page.goto("/admin/core/location/"))
    expect(page.locator("#result_list")).to_be_visible()
    # Its own stylesheets applied (a refused stylesheet would leave the header unstyled).
    assert page.locator("#header").evaluate("e => getComputedStyle(e).display") == "flex"
    page.goto("/admin/core/location/add/")
    expect(page.locator("input[name=code]")).to_be_visible()
    # A list of an append-only model (no delete action).
    page.goto("/admin/cards/card/")
    expect(page.locator("#changelist")).to_be_visible()
    assert_clean(console)


def test_the_api_docs_render_under_their_policy(page, console):
    assert_enforced(page.goto("/api/v1/docs"))
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(re.compile("POS API"))
    assert_clean(console)


def test_the_console_reports_what_the_policy_refuses(page, console):
    """The harness itself: an inline style and an inline script on one of our pages are
    refused and reported, so the zero counts above mean something."""
    page.goto("/login/")

    def refused(kind: str):
        return lambda message: "Content Security Policy" in message.text and kind in message.text

    with page.expect_console_message(refused("style")):
        page.evaluate(
            """() => document.body.insertAdjacentHTML(
                "beforeend", '<p id="styled" style="color: red">x</p>')"""
        )
    with page.expect_console_message(refused("script")):
        page.evaluate(
            """() => {
                const script = document.createElement("script");
                script.textContent = "window.inlineRan = true";
                document.body.append(script);
            }"""
        )
    assert page.evaluate("() => window.inlineRan") is None
    assert page.locator("#styled").evaluate("e => getComputedStyle(e).color") != "rgb(255, 0, 0)"
    assert len(console.violations) == 2, console.lines
