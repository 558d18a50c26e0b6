"""Report pages: who may see them, what a store manager sees, the tie-out, the exports."""

from __future__ import annotations

import pytest
from django.urls import reverse

from membercard.core.models import Role
from tests import factories as f
from tests.reports.test_sales_inventory import three_days
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


def _url(name: str, **query) -> str:
    url = reverse("web:report", args=[name])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_index_lists_the_reports_for_hq_and_refuses_cashiers(shop):
    finance = signed_in(Role.HQ_FINANCE)
    cashier = signed_in(Role.STORE_CASHIER, shop["store"])

    page = finance.get(reverse("web:reports"))
    assert page.status_code == 200
    assert reverse("web:report", args=["sales-inventory"]) in page.content.decode()
    assert cashier.get(reverse("web:reports")).status_code == 403
    assert cashier.get(_url("sales-inventory")).status_code == 403


def test_sales_inventory_page_ties_out_with_a_chart(clock, shop):
    first, _a, _b = three_days(clock, shop)
    finance = signed_in(Role.HQ_FINANCE)

    page = finance.get(_url("sales-inventory", date_from=first, date_to=clock.day))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Ties out ✓" in html
    assert "<svg" in html and "S01" in html  # daily consumption per store


def test_a_store_manager_sees_only_their_own_store(clock, shop):
    first, _a, _b = three_days(clock, shop)
    other = f.store("S02")
    f.sold_card(f.actor(Role.STORE_CASHIER, other), value_minor=4_000)
    manager = signed_in(Role.STORE_MANAGER, shop["store"])

    page = manager.get(
        _url("sales-inventory", date_from=first, date_to=clock.day, location="S02", format="csv")
    )

    body = page.content.decode()
    assert page.status_code == 200
    assert "S01" in body and "S02" not in body  # the location field is ignored for a store


def test_exports_download_with_a_file_name(clock, shop):
    first, _a, _b = three_days(clock, shop)
    finance = signed_in(Role.HQ_FINANCE)

    for fmt, start in (("csv", b"location,"), ("xlsx", b"PK"), ("pdf", b"%PDF")):
        response = finance.get(
            _url("liability", date_from=first, date_to=clock.day, format=fmt)
            if fmt != "csv"
            else _url("sales-inventory", date_from=first, date_to=clock.day, format=fmt)
        )
        assert response.status_code == 200
        assert response.content.startswith(start)
        assert "attachment" in response["Content-Disposition"]


def test_a_backwards_period_gets_a_field_error(shop):
    finance = signed_in(Role.HQ_FINANCE)

    page = finance.get(_url("dormant", date_from="2026-02-02", date_to="2026-02-01"))

    assert page.status_code == 400
    assert "The period ends before it starts." in page.content.decode()


def test_top_members_is_for_finance_and_is_audited(clock, shop):
    from membercard.loyalty.models import Member, MemberAccessLog
    from membercard.operations import purchase, sell_card

    member = Member.objects.create(name="Ada Member", mobile="13800001234")
    card = f.stock_card(shop["product"], shop["store"])
    sell_card(
        actor=shop["cashier"],
        card_number=card.number,
        initial_value_minor=9_000,
        tender="cash",
        member=member,
        idempotency_key=f.key(),
    )
    purchase(
        actor=shop["cashier"],
        card_number=card.number,
        amount_minor=2_500,
        idempotency_key=f.key(),
    )
    stock = signed_in(Role.HQ_STOCK)
    finance = signed_in(Role.HQ_FINANCE)
    day = clock.day

    assert stock.get(_url("top-members", date_from=day, date_to=day)).status_code == 403
    page = finance.get(_url("top-members", date_from=day, date_to=day))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Ada Member" in html and "1234" in html and "13800001234" not in html
    assert MemberAccessLog.objects.filter(action="report.top_members", count=1).exists()


def test_points_expiring_page_looks_ahead(shop):
    finance = signed_in(Role.HQ_FINANCE)

    page = finance.get(reverse("web:report", args=["points-expiring"]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Points outstanding now" in html


def test_reconciliation_page_shows_headings_and_statuses_in_words(clock, shop):
    first, _a, _b = three_days(clock, shop)
    finance = signed_in(Role.HQ_FINANCE)
    finance.staff.language = "zh-hans"
    finance.staff.save()

    page = finance.get(_url("reconciliation", date_from=first, date_to=clock.day))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<th>结算净额</th>" in html  # "Net settlement"
    assert "net settlement" not in html
    assert "<td>open</td>" not in html  # the status code is shown in words
    assert "<td>营业中</td>" in html  # "open": the three days are not closed

    csv = finance.get(_url("reconciliation", date_from=first, date_to=clock.day, format="csv"))
    assert b"net_settlement" in b"".join(csv.streaming_content if csv.streaming else [csv.content])
