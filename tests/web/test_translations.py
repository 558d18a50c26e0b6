"""The Simplified Chinese catalogue (issue #7): complete, placeholders intact, the committed
.mo compiled from the committed .po, and pages rendered in Chinese for a staff member whose
language is ``zh-hans`` (and for the login page by the browser's Accept-Language).

The catalogue is refreshed with ``scripts/messages.sh``."""

from __future__ import annotations

import ast
import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from membercard.core.models import Role
from tests import factories as f
from tests.web.test_counter_helpers import HTMX, seller

LC_MESSAGES = Path(__file__).resolve().parents[2] / "membercard/locale/zh_Hans/LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|%[sdif]|\{[A-Za-z_0-9]*\}")
HAN = re.compile(r"[\u4e00-\u9fff]")
NO_CARD_ZH = "此处没有该卡号的卡：请核对卡号。其他门店持有的卡请到该门店或总部办理。"  # noqa: RUF001
NO_CARD = (
    "No card with that number here: check the number. A card held by another store is "
    "served there or by HQ."
)


# A tiny .po reader (polib is not a project dependency) --------------------------------------


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgctxt, msgid, msgid_plural, msgstr / msgstr[n], flags, line."""
    entries: list[dict] = []
    entry: dict = {}
    field = None

    def finish():
        if "msgid" in entry:
            entries.append(dict(entry))
        entry.clear()

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
                field = None
            continue
        if line.startswith("#,"):
            if "msgid" in entry:
                finish()
            entry.setdefault("flags", set()).update(
                flag.strip() for flag in line[2:].split(",") if flag.strip()
            )
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
        if match:
            field = match.group(1)
            if field in ("msgctxt", "msgid") and ("msgstr" in entry or "msgstr[0]" in entry):
                finish()
            entry.setdefault("line", number)
            entry[field] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and field:
            entry[field] += ast.literal_eval(line)
        else:
            raise AssertionError(f"{path.name}:{number}: cannot read {line!r}")
    finish()
    return entries


def messages(entries: list[dict]) -> list[dict]:
    """All entries but the header."""
    return [e for e in entries if e["msgid"]]


def translations(entry: dict) -> list[str]:
    if "msgid_plural" in entry:
        return [v for k, v in sorted(entry.items()) if k.startswith("msgstr[")]
    return [entry["msgstr"]]


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    return read_po(PO)


def test_reader_reads_the_catalogue(catalogue):
    header = [e for e in catalogue if not e["msgid"]]
    assert len(header) == 1
    assert "charset=UTF-8" in header[0]["msgstr"]
    assert "fuzzy" not in header[0].get("flags", set()), "a fuzzy header is skipped by msgfmt"
    assert "nplurals=1; plural=0;" in header[0]["msgstr"]
    assert len(messages(catalogue)) > 500
    assert any("msgid_plural" in e for e in catalogue)


# (a) every entry translated, none fuzzy -----------------------------------------------------


def test_every_entry_is_translated(catalogue):
    untranslated = [
        f"line {e['line']}: {e['msgid']!r}"
        for e in messages(catalogue)
        if not all(text.strip() for text in translations(e))
    ]
    assert not untranslated, "untranslated (run scripts/messages.sh, then translate):\n" + (
        "\n".join(untranslated)
    )


def test_no_entry_is_fuzzy(catalogue):
    fuzzy = [
        f"line {e['line']}: {e['msgid']!r}"
        for e in messages(catalogue)
        if "fuzzy" in e.get("flags", set())
    ]
    assert not fuzzy, "fuzzy entries (check them, then drop the flag):\n" + "\n".join(fuzzy)


def test_translations_are_chinese(catalogue):
    # Codes and names such as "PIN", "CSV" or "RFID UID" may stay as they are; anything
    # longer than a couple of words must be in Chinese.
    english = [
        f"line {e['line']}: {e['msgid']!r}"
        for e in messages(catalogue)
        for text in translations(e)
        if len(e["msgid"].split()) > 2 and not HAN.search(text)
    ]
    assert not english, "\n".join(english)


# (b) placeholders ---------------------------------------------------------------------------


def test_placeholders_match(catalogue):
    wrong = []
    for e in messages(catalogue):
        expected = sorted(PLACEHOLDER.findall(e["msgid"]))
        plural = sorted(PLACEHOLDER.findall(e.get("msgid_plural", e["msgid"])))
        for text in translations(e):
            found = sorted(PLACEHOLDER.findall(text))
            if found != expected and found != plural:
                wrong.append(f"line {e['line']}: {e['msgid']!r}: {expected} != {found}")
    assert not wrong, "\n".join(wrong)


def test_html_tags_are_kept(catalogue):
    tags = re.compile(r"</?[a-z][^>]*>")
    wrong = [
        e["msgid"]
        for e in messages(catalogue)
        for text in translations(e)
        if sorted(tags.findall(e["msgid"])) != sorted(tags.findall(text))
    ]
    assert not wrong


# (c) the committed .mo is the compiled .po --------------------------------------------------


def test_compiled_catalogue_is_up_to_date(catalogue):
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    expected = {}
    for e in messages(catalogue):
        key = e["msgid"] if "msgctxt" not in e else f"{e['msgctxt']}\x04{e['msgid']}"
        if "msgid_plural" in e:
            for n, text in enumerate(translations(e)):
                expected[(key, n)] = text
        else:
            expected[key] = e["msgstr"]
    got = {k: v for k, v in compiled._catalog.items() if k != ""}
    stale = sorted(str(k) for k in expected.keys() ^ got.keys())
    assert not stale, "django.mo is stale: run scripts/messages.sh\n" + "\n".join(stale[:20])
    differ = [str(k) for k in expected if expected[k] != got[k]]
    assert not differ, "django.mo is stale: run scripts/messages.sh\n" + "\n".join(differ[:20])


# (d) pages for a staff member who reads Chinese ---------------------------------------------


class _Text(HTMLParser):
    """Visible text of a page, plus the attributes a user reads or hears."""

    ATTRIBUTES = {"placeholder", "aria-label", "title", "alt", "data-network-error"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts += [value for name, value in attrs if name in self.ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return "\n".join(parser.parts)


def english_words(text: str, allowed: set[str]) -> set[str]:
    """Words of three letters or more, outside ``allowed`` (names and codes from the data)."""
    words = set(re.findall(r"[A-Za-z]{3,}", text))
    names = {word for name in allowed for word in re.findall(r"[A-Za-z]{3,}", name)}
    return words - names


def signed_in(role: Role, language: str) -> Client:
    staff = f.staff(role)
    staff.language = language
    staff.save()
    client = Client()
    client.force_login(staff)
    client.staff = staff
    return client


@pytest.fixture
def card(db):
    f.hq()
    return f.sold_card(seller(), value_minor=10_000)


@pytest.mark.django_db
def test_counter_page_in_chinese(card):
    cashier = signed_in(Role.STORE_CASHIER, "zh-hans")

    response = cashier.get("/counter/")

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"
    text = visible_text(response)
    for label in ("收银台", "或输入卡号", "售卡", "退出登录", "主菜单"):
        assert label in text
    for label in ("Counter", "Swipe, tap or scan", "Sell a card", "Sign out", "Main menu"):
        assert label not in text
    # Only names, codes and the language switch's "English" may stay in Latin letters.
    allowed = {"membercard", "English", cashier.staff.username}
    assert not english_words(text, allowed)


@pytest.mark.django_db
def test_counter_card_panel_and_preview_in_chinese(card):
    cashier = signed_in(Role.STORE_CASHIER, "zh-hans")

    panel = cashier.post("/counter/card/", {"card": card.number}, headers=HTMX)
    preview = cashier.post(
        "/counter/quote/",
        {"card": card.number, "amount": "150", "idempotency_key": f.key()},
        headers=HTMX,
    )

    assert panel.status_code == 200
    assert preview.status_code == 200
    text = visible_text(panel)
    for label in (
        "余额",
        "本金",
        "赠送金额",
        "积分",
        "会员",
        "消费金额",
        "挂失",
        "本店最近业务",
    ):
        assert label in text
    for label in ("Balance", "Principal", "Purchase amount", "Report lost", "Last operations"):
        assert label not in text
    assert not english_words(text, {card.product.name, "CNY"})
    shown = visible_text(preview)
    assert "余额不足" in shown and "确认" in shown
    assert "The balance is not enough" not in shown
    assert not english_words(shown, {"CNY"})


@pytest.mark.django_db
def test_counter_form_errors_in_chinese(card):
    cashier = signed_in(Role.STORE_CASHIER, "zh-hans")

    response = cashier.post(
        "/counter/quote/",
        {"card": card.number, "amount": "-5", "idempotency_key": f.key()},
        headers={**HTMX, "X-Error-Target": "#purchase-preview"},
    )

    assert response.status_code == 422
    text = visible_text(response)
    assert "金额不能为负数。" in text
    assert "negative" not in text


@pytest.mark.django_db
def test_hq_cards_page_in_chinese(card):
    admin = signed_in(Role.HQ_ADMIN, "zh-hans")

    response = admin.get("/hq/cards/")

    assert response.status_code == 200
    text = visible_text(response)
    for label in ("会员卡", "卡号", "卡产品", "状态", "搜索", "清除", "已激活", "1 张卡"):
        assert label in text
    for label in ("Search", "Clear", "Number", "Product", "State", "Active", "1 card"):
        assert label not in text


@pytest.mark.django_db
def test_role_names_in_chinese():
    manager = signed_in(Role.STORE_MANAGER, "zh-hans")

    text = visible_text(manager.get("/counter/"))

    assert "店长" in text
    assert "Store manager" not in text


@pytest.mark.django_db
def test_english_staff_still_sees_english(card):
    # The same pages for a staff member without a language setting: the catalogue is not
    # applied to everyone.
    cashier = signed_in(Role.STORE_CASHIER, "")

    text = visible_text(cashier.get("/counter/"))

    assert "Sell a card" in text
    assert "售卡" not in text


@pytest.mark.django_db
def test_staff_language_wins_over_the_browser(card):
    cashier = signed_in(Role.STORE_CASHIER, "zh-hans")

    text = visible_text(cashier.get("/counter/", headers={"Accept-Language": "en"}))

    assert "售卡" in text


# (e) the login page by the browser's language -----------------------------------------------


@pytest.mark.django_db
def test_login_page_in_chinese_by_accept_language():
    response = Client().get("/login/", headers={"Accept-Language": "zh-hans"})

    assert response.status_code == 200
    text = visible_text(response)
    assert "登录" in text
    assert "用户名" in text and "密码" in text  # the form's labels, from Django's catalogue
    assert "Sign in" not in text
    assert "Username" not in text


@pytest.mark.django_db
def test_login_page_in_english_by_default():
    text = visible_text(Client().get("/login/", headers={"Accept-Language": "en"}))

    assert "Sign in" in text
    assert "登录" not in text


# (f) domain errors and stored codes in the staff member's language -------------------------


def test_domain_error_message_is_in_the_language_active_when_raised():
    from django.utils import translation

    from membercard.core.errors import CardNotFound

    with translation.override("zh-hans"):
        error = CardNotFound()
        assert error.message == NO_CARD_ZH
        assert str(error) == NO_CARD_ZH
    assert type(error.message) is str  # plain text: it stays Chinese once raised
    assert error.message == NO_CARD_ZH
    with translation.override("en"):
        assert CardNotFound().message == NO_CARD
    with translation.override(None):  # LANGUAGE_CODE
        assert CardNotFound().message == NO_CARD
        assert CardNotFound("Given text.").message == "Given text."


@pytest.mark.django_db
def test_unknown_card_refused_in_chinese_at_the_counter(card):
    from membercard.cards.numbers import generate_number

    cashier = signed_in(Role.STORE_CASHIER, "zh-hans")
    unknown = generate_number(card.product.number_prefix, card.product.number_length)

    response = cashier.post(
        "/counter/card/", {"card": unknown}, headers={**HTMX, "X-Error-Target": "#card-error"}
    )

    assert response.status_code == 404
    assert b'data-code="card_not_found"' in response.content
    text = visible_text(response)
    assert NO_CARD_ZH in text
    assert "No card with that number" not in text


@pytest.mark.django_db
def test_domain_error_placeholders_filled_in_chinese(card):
    cashier = signed_in(Role.STORE_CASHIER, "zh-hans")

    response = cashier.post(
        "/counter/card/", {"card": "12345"}, headers={**HTMX, "X-Error-Target": "#card-error"}
    )

    assert response.status_code == 422
    assert b'data-code="invalid_card_number"' in response.content
    text = visible_text(response)
    assert "读取到 5 位" in text
    assert "were read" not in text and "%(" not in text


@pytest.mark.django_db
def test_english_staff_still_get_english_domain_errors(card):
    from membercard.cards.numbers import generate_number

    cashier = signed_in(Role.STORE_CASHIER, "")
    unknown = generate_number(card.product.number_prefix, card.product.number_length)

    response = cashier.post(
        "/counter/card/", {"card": unknown}, headers={**HTMX, "X-Error-Target": "#card-error"}
    )

    assert response.status_code == 404
    text = visible_text(response)
    assert NO_CARD in text
    assert "此处没有该卡号的卡" not in text


def test_stock_movement_event_labels():
    from django.utils import translation

    from membercard.inventory.models import EVENT_LABELS, event_label
    from membercard.web.templatetags.labels import tender_label

    with translation.override("zh-hans"):
        assert event_label("card.sold") == "售出"
        assert event_label("handover.dispatched") == "交接单发出"
        assert event_label("batch.received") == "批次入库"
        assert event_label("some.new_event") == "some.new_event"  # the code as a fallback
        assert all(HAN.search(event_label(code)) for code in EVENT_LABELS)
        assert tender_label("bank_card") == "银行卡"
        assert tender_label("no_such_tender") == "no_such_tender"
    with translation.override("en"):
        assert event_label("card.sold") == "Sold"
        assert tender_label("bank_card") == "Bank card"


@pytest.mark.django_db
def test_card_history_shows_stock_movement_events_in_chinese(card):
    admin = signed_in(Role.HQ_ADMIN, "zh-hans")

    response = admin.get(f"/hq/cards/{card.number}/")

    assert response.status_code == 200
    text = visible_text(response)
    assert "售出" in text
    assert "card.sold" not in text


@pytest.mark.django_db
def test_a_staff_language_does_not_outlive_the_request(card):
    """The worker thread serves other staff members next: each gets their own language."""
    from django.utils import translation

    cashier = signed_in(Role.STORE_CASHIER, "zh-hans")
    with translation.override("en"):
        response = cashier.get("/counter/")
        assert response.headers["Content-Language"] == "zh-hans"
        assert translation.get_language() == "en"
