"""The four-eyes screens of ``make screenshots`` (kept apart: ``screenshots.py`` is full):
the approvals as HQ finance sees them, one request, in Chinese; a store manager's requests
at the counter and the page asking to reopen a closed day."""

from __future__ import annotations

from screenshot_demo import FINANCE, MANAGER, MANAGER2


def approval_screens(camera) -> None:
    """Four eyes: the list as HQ finance sees it, one request waiting for them, in Chinese;
    a store manager's counter requests and the page asking to reopen a closed day."""
    with camera.session(FINANCE) as page:
        if not camera.open(page, "approvals", "web:approvals"):
            camera.skip("approval", "no approvals page")
            camera.skip("approvals-zh", "no approvals page")
            return
        list_url = page.url
        camera.attempt("approvals", lambda: camera.snap(page, "approvals"))

        def detail() -> None:
            links = page.locator("main a[href*='/approvals/']").filter(has_text="#")
            if links.count() == 0:
                camera.skip("approval", "no request in the list")
                return
            links.first.click()
            page.wait_for_url(lambda url: url != list_url)
            camera.snap(page, "approval")

        camera.attempt("approval", detail)

        def chinese() -> None:
            page.goto(list_url)
            page.select_option("select[name=language]", "zh-hans")
            page.wait_for_function("document.documentElement.lang === 'zh-hans'")
            camera.snap(page, "approvals-zh")
            page.select_option("select[name=language]", "en")
            page.wait_for_function("document.documentElement.lang === 'en'")

        camera.attempt("approvals-zh", chinese)

    with camera.session(MANAGER) as page:
        if camera.open(page, "counter-approvals", "web:counter-approvals"):
            camera.attempt("counter-approvals", lambda: camera.snap(page, "counter-approvals"))
    with camera.session(MANAGER2) as page:  # S01's latest day already waits to be reopened
        reopen = last_closed_day("S02")
        if reopen is None:
            camera.skip("day-reopen", "no closed day at S02")
        elif camera.open(page, "day-reopen", "web:day-reopen", reopen):
            camera.attempt("day-reopen", lambda: camera.snap(page, "day-reopen"))


def last_closed_day(store: str) -> dict[str, str] | None:
    """The address arguments of ``store``'s latest closed business day (demo data)."""
    from membercard.days.models import BusinessDay, DayState

    day = (
        BusinessDay.objects.filter(location__code=store, state=DayState.CLOSED)
        .order_by("-business_date")
        .first()
    )
    return None if day is None else {"code": store, "day": day.business_date.isoformat()}
