"""``make screenshots``: PNGs of the main staff screens in docs/screenshots/.

Loads the demo into a fresh scratch data folder (SQLite, never your own data), serves it
with ``membercard serve`` (gunicorn) on a free port, and drives Debian's Chromium with
Playwright through the screens a merchant asks about: the counter (English and Chinese),
a card swiped, a purchase previewed, its receipt, a card sale, a one-time card's hand-back
receipt, a customer's cards found by
mobile (a lost card), handovers and the handover
sheet, HQ stock, batches, cards, a card, members, gifts, the business day, the
reconciliation board, the sales-and-inventory report, backups and the audit log. Every
shot is 1280x800 (a 10-inch tablet in landscape, also a small desktop window).

A screen whose page does not exist (yet) is skipped with a warning, so the command keeps
working while pages are added. The list of screens written is kept in
docs/screenshots/README.md.

    python scripts/screenshots.py [--out docs/screenshots] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from screenshot_approvals import approval_screens
from screenshot_demo import (
    ADMIN,
    CASHIER,
    FINANCE,
    MANAGER,
    ROOT,
    STOCK_KEEPER,
    DemoCards,
    free_port,
    membercard,
    pick_demo_cards,
    say,
    server,
    warn,
)
from screenshot_hand_back import hand_back_screens
from screenshot_index import SHOTS, Shot, write_index

VIEWPORT = {"width": 1280, "height": 800}
CHROMIUM = os.environ.get("MEMBERCARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-background-networking"]
TIMEOUT_MS = 10_000


def url_of(url_name: str, **kwargs) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(url_name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


class Camera:
    def __init__(self, browser, base_url: str, out: Path) -> None:
        self.browser = browser
        self.base_url = base_url
        self.out = out
        self.taken: list[Shot] = []
        self.skipped: list[str] = []
        self.shots = {shot.name: shot for shot in SHOTS}

    @contextlib.contextmanager
    def session(self, login: tuple[str, str]) -> Iterator:
        context = self.browser.new_context(
            base_url=self.base_url, viewport=VIEWPORT, locale="en-US", device_scale_factor=1
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.goto("/login/")
        page.fill("input[name=username]", login[0])
        page.fill("input[name=password]", login[1])
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        try:
            yield page
        finally:
            context.close()

    def skip(self, name: str, why: str) -> None:
        warn(f"{name}: skipped ({why})")
        self.skipped.append(name)

    def open(self, page, name: str, url_name: str, url_kwargs: dict | None = None) -> bool:
        """Go to ``url_name``; False (and a warning) if the page is missing or fails."""
        url = url_of(url_name, **(url_kwargs or {}))
        if url is None:
            self.skip(name, f"no page {url_name} yet")
            return False
        response = page.goto(url)
        if response is None or response.status >= 400:
            self.skip(name, f"{url} answered {response.status if response else 'nothing'}")
            return False
        return True

    def snap(self, page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        page.evaluate("document.fonts && document.fonts.ready")
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path))
        self.taken.append(self.shots[name])
        say(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    def attempt(self, name: str, action: Callable[[], None]) -> None:
        """Run one screen's steps; a screen that breaks is skipped, not fatal."""
        from playwright.sync_api import Error as PlaywrightError

        try:
            action()
        except PlaywrightError as error:
            self.skip(name, str(error).splitlines()[0])


def focused(page, element_id: str) -> None:
    page.wait_for_function(
        "id => document.activeElement && document.activeElement.id === id", arg=element_id
    )


def track2(number: str) -> str:
    return f";{number}=30121010000000000?"


COUNTER_SHOTS = ("card-panel", "purchase-preview", "receipt", "sell", "find-cards", "counter-zh")


def counter_screens(camera: Camera, cards: DemoCards) -> None:
    with camera.session(CASHIER) as page:
        if not camera.open(page, "counter", "web:counter"):
            for name in COUNTER_SHOTS:
                camera.skip(name, "no counter")
            return
        camera.attempt("counter", lambda: camera.snap(page, "counter"))

        def swipe() -> None:
            focused(page, "card-input")
            page.keyboard.type(track2(cards.to_swipe))
            page.keyboard.press("Enter")
            page.locator("#balance").wait_for()
            focused(page, "amount-input")
            camera.snap(page, "card-panel")

        def preview() -> None:
            page.keyboard.type("36.80")
            page.keyboard.press("Enter")
            page.locator("#purchase-preview").wait_for()
            focused(page, "confirm-purchase")
            camera.snap(page, "purchase-preview")

        def receipt() -> None:
            page.keyboard.press("Enter")
            link = page.locator("#receipt-link")
            link.wait_for()
            page.goto(link.get_attribute("href"))
            page.locator(".receipt").wait_for()
            camera.snap(page, "receipt")

        for name, step in (("card-panel", swipe), ("purchase-preview", preview)):
            camera.attempt(name, step)
        if camera.taken and camera.taken[-1].name == "purchase-preview":
            camera.attempt("receipt", receipt)
        else:
            camera.skip("receipt", "no purchase preview")

        def sell() -> None:
            page.locator("[name=card]").fill(cards.to_sell)
            value = page.locator("[name=initial_value]")
            if value.evaluate("el => el.tagName") == "SELECT":
                value.select_option(index=1)
            else:
                value.fill("200.00")
            camera.snap(page, "sell")

        if camera.open(page, "sell", "web:counter-sell"):
            camera.attempt("sell", sell)

        def find_cards() -> None:
            page.fill("input[name=find-mobile]", cards.member_mobile)
            page.click("#find-submit")
            page.locator("#found-cards").wait_for()
            camera.snap(page, "find-cards")

        if camera.open(page, "find-cards", "web:counter-find"):
            camera.attempt("find-cards", find_cards)

        def chinese() -> None:
            page.goto(url_of("web:counter"))
            page.select_option("select[name=language]", "zh-hans")
            page.wait_for_function("document.documentElement.lang === 'zh-hans'")
            focused(page, "card-input")
            page.keyboard.type(track2(cards.to_swipe))
            page.keyboard.press("Enter")
            page.locator("#balance").wait_for()
            focused(page, "amount-input")
            camera.snap(page, "counter-zh")
            page.select_option("select[name=language]", "en")
            page.wait_for_function("document.documentElement.lang === 'en'")

        camera.attempt("counter-zh", chinese)


def handover_screens(camera: Camera) -> None:
    with camera.session(MANAGER) as page:
        if not camera.open(page, "handovers", "web:handovers"):
            camera.skip("handover-sheet", "no handovers page")
            return
        camera.attempt("handovers", lambda: camera.snap(page, "handovers"))

        def sheet() -> None:
            list_url = page.url
            links = page.locator("main table tbody a[href]")
            if links.count() == 0:
                camera.skip("handover-sheet", "no handover in the list")
                return
            links.first.click()
            page.wait_for_url(lambda url: url != list_url)
            pdf = page.locator("main a[href*='pdf'], main a[href*='sheet']")
            if pdf.count() and shutil.which("pdftoppm"):
                response = page.request.get(pdf.first.get_attribute("href"))
                if response.ok and response.body().startswith(b"%PDF"):
                    render_pdf_page(response.body(), camera.out / "handover-sheet.png")
                    camera.taken.append(camera.shots["handover-sheet"])
                    say(f"  {camera.out / 'handover-sheet.png'} (the PDF's first page)")
                    return
            if not shutil.which("pdftoppm"):
                warn("pdftoppm (poppler-utils) not installed: the handover page stands in")
            camera.snap(page, "handover-sheet")

        camera.attempt("handover-sheet", sheet)


def render_pdf_page(pdf: bytes, png: Path) -> None:
    """The PDF's first page as a PNG 1280 pixels wide (poppler's pdftoppm)."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "sheet.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-f", "1", "-l", "1", "-singlefile", "-scale-to-x", "1280",
             "-scale-to-y", "-1", str(source), str(Path(scratch) / "page")],
            check=True,
        )  # fmt: skip
        shutil.copyfile(Path(scratch) / "page.png", png)


def list_screens(camera: Camera) -> None:
    with camera.session(STOCK_KEEPER) as page:
        for name, url_name in (("stock", "web:stock"), ("batches", "web:batches")):
            if camera.open(page, name, url_name):
                camera.attempt(name, lambda name=name: camera.snap(page, name))

    with camera.session(ADMIN) as page:
        if camera.open(page, "cards", "web:cards"):
            camera.attempt("cards", lambda: camera.snap(page, "cards"))

            def card_detail() -> None:
                links = page.locator("main table tbody a[href]")
                if links.count() == 0:
                    camera.skip("card-detail", "no card in the list")
                    return
                list_url = page.url
                links.first.click()
                page.wait_for_url(lambda url: url != list_url)
                camera.snap(page, "card-detail")

            camera.attempt("card-detail", card_detail)
        else:
            camera.skip("card-detail", "no cards list")
        for name, url_name in (("members", "web:members"), ("gifts", "web:gifts")):
            if camera.open(page, name, url_name):
                camera.attempt(name, lambda name=name: camera.snap(page, name))


def control_screens(camera: Camera) -> None:
    """Business day, reconciliation, a report, backups and the audit log."""
    screens = (
        (MANAGER, "business-day", "web:days", {}),
        (FINANCE, "reconciliation", "web:reconciliation", {}),
        (FINANCE, "sales-inventory", "web:report", {"name": "sales-inventory"}),
        (ADMIN, "backups", "web:backups", {}),
        (ADMIN, "audit", "web:audit", {}),
    )
    for login, name, url_name, kwargs in screens:
        with camera.session(login) as page:
            if camera.open(page, name, url_name, kwargs):
                camera.attempt(name, lambda page=page, name=name: camera.snap(page, name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the scratch data folder")
    options = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(
            f"No Chromium at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install chromium) or set MEMBERCARD_CHROMIUM."
        )

    if (
        shutil.which("fc-list")
        and not subprocess.run(
            ["fc-list", ":lang=zh"], capture_output=True, text=True
        ).stdout.strip()
    ):
        warn(
            "no Chinese font installed: Chinese text will show as boxes "
            "(apt-get install fonts-noto-cjk, or fonts-wqy-zenhei)"
        )
    data_dir = Path(tempfile.mkdtemp(prefix="membercard-screenshots-"))
    os.environ["MEMBERCARD_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)  # a scratch SQLite file, never a real database
    os.environ["DJANGO_SETTINGS_MODULE"] = "membercard.settings"
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    try:
        say(f"Loading the demo into {data_dir} ...")
        subprocess.run(membercard("migrate", "--noinput", "-v", "0"), check=True, cwd=ROOT)
        subprocess.run(membercard("demo"), check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        cards = pick_demo_cards()
        with server(free_port(), data_dir / "serve.log") as base_url:
            taken, skipped = take_all(base_url, out, cards)
    finally:
        if options.keep:
            say(f"scratch data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)

    write_index(out, taken)
    say(f"{len(taken)} screenshots in {out}; index: {out / 'README.md'}")
    if skipped:
        warn(f"{len(skipped)} skipped: {', '.join(skipped)}")
    return 0


def take_all(base_url: str, out: Path, cards: DemoCards) -> tuple[list[Shot], list[str]]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an asyncio loop in this thread; the ORM reads made while
    # picking pages' addresses are plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        camera = Camera(browser, base_url, out)
        say("Taking screenshots:")
        counter_screens(camera, cards)
        handover_screens(camera)
        list_screens(camera)
        control_screens(camera)
        approval_screens(camera)
        hand_back_screens(camera)
        browser.close()
    return camera.taken, camera.skipped


if __name__ == "__main__":
    sys.exit(main())
