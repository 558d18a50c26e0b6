"""Members' mobiles at stores (issue #13, reproduction 6): the counter's "Edit the member"
form showed the whole number, for members of any store, and the read was not logged. Now
a store sees the last four digits only, changes other fields without ever holding the
number, and each look is logged."""

from __future__ import annotations

import pytest

from membercard.core.models import Role
from membercard.loyalty.models import Member, MemberAccessLog
from tests import factories as f
from tests.web.conftest import signed_in
from tests.web.test_counter_helpers import HTMX, seller
from tests.web.test_counter_ops import link

pytestmark = pytest.mark.django_db

MOBILE = "13900139000"
MASKED = "*******9000"


@pytest.fixture
def card():
    """A card sold at S01 whose member registered at another store, S02."""
    f.hq()
    member = Member.objects.create(name="Wang Fang", mobile=MOBILE, registered_at=f.store("S02"))
    return f.sold_card(seller(), member=member)


@pytest.fixture
def cashier():
    return signed_in(Role.STORE_CASHIER, f.store("S01"))


def test_the_edit_form_shows_the_mobile_masked_and_logs_the_read(cashier, card):
    page = cashier.get(link(cashier, card, "member-link"))

    html = page.content.decode()
    assert page.status_code == 200
    assert MOBILE not in html
    assert MASKED in html
    assert 'value="Wang Fang"' in html
    log = MemberAccessLog.objects.get(action="member.viewed")
    assert (log.member_id, log.staff_id, log.count) == (card.member_id, cashier.staff.pk, 1)


def test_the_panel_never_shows_the_mobile(cashier, card):
    panel = cashier.post("/counter/card/", {"card": card.number}, headers=HTMX).content.decode()
    assert "Wang Fang" in panel
    assert MOBILE not in panel


def test_other_fields_change_without_the_number_which_is_kept(cashier, card):
    response = cashier.post(
        "/counter/member/", {"card": card.number, "name": "Wang Fang Li", "mobile": ""}
    )

    assert response.status_code == 302
    member = Member.objects.get(pk=card.member_id)
    assert (member.name, member.mobile) == ("Wang Fang Li", MOBILE)


def test_a_new_mobile_replaces_the_one_on_file(cashier, card):
    cashier.post(
        "/counter/member/", {"card": card.number, "name": "Wang Fang", "mobile": "13700137000"}
    )

    assert Member.objects.get(pk=card.member_id).mobile == "13700137000"


def test_a_new_member_still_needs_a_mobile(cashier):
    card = f.sold_card(seller())

    response = cashier.post("/counter/member/", {"card": card.number, "name": "Li", "mobile": ""})

    assert response.status_code == 422
    assert not Member.objects.exists()


def test_a_birthday_in_year_0001_is_refused(cashier, card):
    response = cashier.post(
        "/counter/member/",
        {"card": card.number, "name": "Wang Fang", "mobile": "", "birthday": "0001-01-01"},
    )

    assert response.status_code == 422
    assert Member.objects.get(pk=card.member_id).birthday is None
