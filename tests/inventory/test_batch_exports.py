"""The files we send the manufacturer (membercard.inventory.exports) and the ``membercard batch``
command (which also reads the manufacturer's file in: membercard.inventory.manufacturer_files)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4

from membercard.approvals.models import ApprovalRequest, RequestKind, RequestState
from membercard.approvals.services import request_thresholds_change
from membercard.approvals.stock_write_offs import request_handover_loss
from membercard.cards.models import Batch, Card
from membercard.cards.states import CardState
from membercard.core.models import Role, Staff
from membercard.inventory import exports
from membercard.inventory.manufacturer_files import BANK_CARD
from membercard.inventory.models import StockMovement
from membercard.inventory.services import batches
from membercard.inventory.services.handovers import dispatch_handover, receive_handover
from tests import factories as f
from tests.inventory import factories as inv
from tests.inventory.factories import pdf_pages, stock_is_consistent

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return f.product(name="金卡 Gold card")


def order(actor, product, quantity: int) -> Batch:
    return inv.order_batch(actor, product, quantity, unit_cost_minor=80, supplier="Acme")


# CSV -----------------------------------------------------------------------------------


def test_the_csv_lists_number_barcode_track2_and_uid_of_cards_to_be_made(keeper, product):
    one, two, three = (inv.number(product, serial) for serial in (11, 13, 15))  # not in sequence
    batch = batches.import_batch(
        actor=keeper,
        product=product,
        rows_text=f"{one},0012345678\n{two}\n{three}\n",
        unit_cost_minor=0,
    )
    batches.void_cards(actor=keeper, numbers=[three], reason="misprint")

    rows = list(csv.reader(io.StringIO(exports.batch_csv(batch))))

    assert rows == [
        ["number", "barcode", "track2", "rfid_uid"],
        [one, f"MC{one}", f";{one}=9912?", "00BC614E"],
        [two, f"MC{two}", f";{two}=9912?", ""],
    ]


# Proof sheet PDF -----------------------------------------------------------------------


def test_the_proof_sheet_shows_the_batch_and_every_card_with_page_numbers(keeper, product):
    batch = order(keeper, product, 120)
    wanted = list(batch.cards.order_by("pk").values_list("number", flat=True))

    pages = pdf_pages(exports.batch_proof_pdf(batch))

    assert len(pages) == exports._Layout(*A4).pages(120) == 3
    assert f"Card proof sheet {batch.document_number}" in pages[0]
    assert "Quantity: 120 cards" in pages[0] and "Supplier: Acme" in pages[0]
    assert all(f"Page {n} of 3" in page for n, page in enumerate(pages, start=1))
    text = "\n".join(pages)
    assert all(number in text for number in wanted)
    assert wanted[0] in pages[0] and wanted[-1] in pages[-1]


def test_a_limited_proof_shows_the_first_cards_only(keeper, product):
    batch = order(keeper, product, 30)
    first = list(batch.cards.order_by("pk").values_list("number", flat=True))

    pages = pdf_pages(exports.batch_proof_pdf(batch, limit=10))

    assert len(pages) == 1
    assert "Shown: 10 of 30 cards" in pages[0]
    assert first[9] in pages[0] and first[10] not in pages[0]


def test_a_proof_of_a_few_thousand_cards_renders(keeper, product):
    batch = order(keeper, product, 2_500)
    last = batch.cards.order_by("-pk").values_list("number", flat=True).first()

    reader = PdfReader(io.BytesIO(exports.batch_proof_pdf(batch)))

    assert len(reader.pages) == exports._Layout(*A4).pages(2_500)
    assert last in reader.pages[-1].extract_text()


# CLI -----------------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("batch", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused_command(*args: str) -> tuple[CommandError, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("batch", *args, stdout=io.StringIO(), stderr=err)
    assert info.value.returncode == 1
    return info.value, err.getvalue()


def test_cli_create_export_receive_void(keeper, product, tmp_path, monkeypatch):
    """Four eyes: create and void file requests another stock keeper approves (``batch
    approve``); the orderer cannot receive the batch."""
    inv.small_chunks(monkeypatch, 10)
    user = keeper.staff.username
    checker = inv.keeper().staff.username

    out, _ = run("create", "--product", product.code, "--quantity", "25", "--by", user)

    request = ApprovalRequest.objects.get()
    assert f"Request #{request.pk}: a batch of 25 cards" in out and "sent for approval" in out
    assert not Batch.objects.exists() and not Card.objects.exists()  # nothing produced yet
    error, _ = refused_command("approve", str(request.pk), "--by", user)
    assert "someone else must decide it" in str(error)
    out, _ = run("approve", str(request.pk), "--by", checker)
    batch = Batch.objects.get()
    assert f"Request #{request.pk} approved: batch {batch.document_number} ordered." in out
    assert batch.created_by == keeper.staff and batch.quantity == 25
    assert batch.unit_cost_minor == product.unit_cost_minor

    run("export", batch.document_number, "--format", "csv", "--output", str(tmp_path / "b.csv"))
    run("export", str(batch.pk), "--format", "pdf", "--output", str(tmp_path / "b.pdf"))
    assert (tmp_path / "b.csv").read_text().count("\n") == 26
    assert batch.document_number in pdf_pages((tmp_path / "b.pdf").read_bytes())[0]

    error, _ = refused_command("receive", batch.document_number, "--by", user)
    assert "someone other than the orderer" in str(error)
    out, _ = run("receive", batch.document_number.lower(), "--by", checker)
    assert f"Batch {batch.document_number} received: 25 cards in stock at HQ." in out

    misprint = batch.cards.first().number
    out, _ = run("void", misprint, "--reason", "ink smear", "--by", user)
    void = ApprovalRequest.objects.first()  # newest first
    assert f"Request #{void.pk}: void 1 card sent for approval" in out
    assert Card.objects.get(number=misprint).state == CardState.IN_STOCK
    out, _ = run("approve", str(void.pk), "--by", checker)
    assert f"Request #{void.pk} approved: 1 cards voided." in out
    assert Card.objects.get(number=misprint).state == CardState.VOID

    error, _ = refused_command("receive", str(batch.pk), "--by", checker)
    assert "already received" in str(error)

    run("create", "--product", product.code, "--quantity", "3", "--by", user)
    run("approve", str(ApprovalRequest.objects.first().pk), "--by", checker)
    second = Batch.objects.first()  # newest first
    # The orderer may ask to cancel it; another keeper approves; nothing is void before.
    out, _ = run("cancel", second.document_number, "--reason", "never paid", "--by", user)
    cancel = ApprovalRequest.objects.first()
    assert cancel.kind == RequestKind.BATCH_CANCEL
    assert (
        f"Request #{cancel.pk}: cancel batch {second.document_number} (3 cards void) "
        "sent for approval" in out
    )
    assert set(second.cards.values_list("state", flat=True)) == {CardState.PRODUCED}
    error, _ = refused_command("approve", str(cancel.pk), "--by", user)
    assert "someone else must decide it" in str(error)
    out, _ = run("approve", str(cancel.pk), "--by", checker)
    assert (
        f"Request #{cancel.pk} approved: batch {second.document_number} cancelled, "
        "3 cards voided." in out
    )
    assert set(second.cards.values_list("state", flat=True)) == {CardState.VOID}
    stock_is_consistent()


def test_cli_rejects_a_cancellation_and_refuses_other_kinds(keeper, product):
    user, checker = keeper.staff.username, inv.keeper().staff.username
    batch = inv.order_batch(inv.keeper(), product, 2)
    run("cancel", str(batch.pk), "--reason", "wrong colour", "--by", user)
    cancel = ApprovalRequest.objects.get()

    error, _ = refused_command("reject", str(cancel.pk), "--note", " ", "--by", checker)
    assert "Say why the request is rejected" in str(error)
    out, _ = run("reject", str(cancel.pk), "--note", "colour is fine", "--by", checker)
    assert f"Request #{cancel.pk} rejected: nothing was done." in out
    cancel.refresh_from_db()
    assert cancel.state == RequestState.REJECTED
    assert cancel.decided_by == Staff.objects.get(username=checker)
    assert set(batch.cards.values_list("state", flat=True)) == {CardState.PRODUCED}
    error, _ = refused_command("approve", str(cancel.pk), "--by", checker)
    assert "already decided" in str(error)
    # A request of another kind is no stock request to this command.
    threshold = request_thresholds_change(
        actor=f.actor(Role.HQ_ADMIN),
        adjustment_minor=1,
        points_adjustment=1,
        hq_top_up_minor=1,
        lifetime_hours=5,
        idempotency_key=f.key(),
    )
    error, _ = refused_command("approve", str(threshold.pk), "--by", checker)
    assert f"No stock request #{threshold.pk}" in str(error)


def test_cli_import_good_and_refused_files(keeper, product, tmp_path):
    user = keeper.staff.username
    good = tmp_path / "good.csv"
    good.write_text(
        "\ufeffnumber;rfid_uid\n" + f"{inv.number(product, 1)};a1b2c3d4\n", encoding="utf-8"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{inv.number(product, 2)}\n123\n4111111111111111\n", encoding="utf-8")

    out, _ = run("import", str(good), "--product", product.code, "--by", user, "--unit-cost", "9")
    assert "1 cards of" in out and "from good.csv sent for approval" in out
    assert not Batch.objects.exists()
    run("approve", str(ApprovalRequest.objects.get().pk), "--by", inv.keeper().staff.username)
    assert Batch.objects.get().unit_cost_minor == 9
    assert Card.objects.get().number == inv.number(product, 1)

    before = Card.objects.count(), StockMovement.objects.count(), ApprovalRequest.objects.count()
    error, err = refused_command("import", str(bad), "--product", product.code, "--by", user)

    assert str(error).startswith("Line 2: 3 digits")
    assert err.splitlines() == [
        f"line 2: 3 digits, but {product.code} numbers have 16",
        f"line 3: {BANK_CARD}",
    ]
    assert "4111" not in err + str(error)
    after = Card.objects.count(), StockMovement.objects.count(), ApprovalRequest.objects.count()
    assert after == before


def test_cli_refuses_unknown_people_wrong_roles_and_bad_batch_numbers(product):
    cashier = f.actor(Role.STORE_CASHIER).staff.username

    error, _ = refused_command("create", "--product", product.code, "--quantity", "1", "--by", "x")
    assert "No staff member" in str(error)
    error, _ = refused_command(
        "create", "--product", product.code, "--quantity", "1", "--by", cashier
    )
    assert "Only headquarters may order card batches" in str(error)
    error, _ = refused_command("receive", "BX12", "--by", cashier)
    assert "not a batch number" in str(error)
    error, _ = refused_command("export", "B000999", "--format", "csv", "--output", "-")
    assert "No batch B000999" in str(error)
    assert not Batch.objects.exists()


def test_cli_approves_a_handover_loss(keeper):
    cards = inv.run_of_cards(f.product(), f.hq(), 2)
    handover = inv.draft_handover(keeper, f.store("S01"), cards)
    dispatch_handover(actor=keeper, handover_id=handover.pk)
    receive_handover(
        actor=inv.store_staff("S01"), handover_id=handover.pk, scanned=[cards[0].number]
    )
    line = handover.lines.get(card=cards[1])
    loss = request_handover_loss(
        actor=keeper, line_id=line.pk, note="never arrived", idempotency_key=f.key()
    )

    out, _ = run("approve", str(loss.pk), "--by", inv.keeper().staff.username)

    assert (
        f"Request #{loss.pk} approved: the card missing from {handover.document_number} "
        "is void (lost)." in out
    )
    assert Card.objects.get(pk=cards[1].pk).state == CardState.VOID
    stock_is_consistent()
