"""HQ's own steps on a received batch (membercard.inventory.services.batches.signoffs):
checked, then made ready, each signed by someone other than the previous step's signer
(the receipt is the first step); optional, shown on the proof sheet with signature lines."""

from __future__ import annotations

import pytest

from membercard.cards.models import BatchStatus
from membercard.core.errors import NotPermitted, ValidationFailed
from membercard.core.models import Role
from membercard.inventory.batch_steps import batch_steps, next_step
from membercard.inventory.errors import BatchNotFound, BatchStepRefused, SameSigner
from membercard.inventory.exports import batch_proof_pdf
from membercard.inventory.models import BatchSignoff, BatchStep
from membercard.inventory.services import batches
from membercard.inventory.services.handovers import dispatch_handover
from tests import factories as f
from tests.inventory import factories as inv
from tests.inventory.factories import draft_handover, pdf_pages, refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """Four HQ stock people: who ordered, received, checked and made the batch ready."""
    return [inv.keeper() for _ in range(4)]


@pytest.fixture
def batch(people):
    orderer, receiver, *_ = people
    ordered = inv.order_batch(orderer, f.product(name="Gold card"), 3)
    return batches.receive_batch(actor=receiver, batch_id=ordered.pk)


def sign(actor, batch, step, note=""):
    return batches.sign_batch_step(actor=actor, batch_id=batch.pk, step=step, note=note)


def test_two_people_sign_checked_then_made_ready(people, batch):
    _, receiver, checker, packer = people
    assert next_step(batch) == BatchStep.CHECKED
    # The checker signs the check, the packer makes the batch ready
    checked = sign(checker, batch, "checked", " 3 counted, none misprinted ")
    ready = sign(packer, batch, "made_ready")
    assert (checked.signed_by, checked.note) == (checker.staff, "3 counted, none misprinted")
    assert ready.signed_by == packer.staff and ready.signed_at is not None
    assert next_step(batch) is None
    steps = batch_steps(batch)
    assert [(s.step, s.signed_by) for s in steps] == [
        ("received", receiver.staff),
        ("checked", checker.staff),
        ("made_ready", packer.staff),
    ]


def test_whoever_signed_the_previous_step_does_not_sign_the_next(people, batch):
    _, receiver, checker, _ = people
    with pytest.raises(SameSigner):
        sign(receiver, batch, "checked")
    sign(checker, batch, "checked")
    with pytest.raises(SameSigner):
        sign(checker, batch, "made_ready")
    # The receiver did not sign the check: it may make the batch ready
    sign(receiver, batch, "made_ready")
    assert BatchSignoff.objects.filter(batch=batch).count() == 2


def test_steps_go_in_order_once_each_on_a_received_batch(people):
    orderer, receiver, checker, packer = people
    ordered = inv.order_batch(orderer, f.product(), 2)
    with pytest.raises(BatchStepRefused):
        sign(checker, ordered, "checked")  # still on order
    batch = batches.receive_batch(actor=receiver, batch_id=ordered.pk)
    with pytest.raises(BatchStepRefused):
        sign(packer, batch, "made_ready")  # not checked yet
    sign(checker, batch, "checked")
    with pytest.raises(BatchStepRefused):
        sign(packer, batch, "checked")  # already signed
    with pytest.raises(ValidationFailed):
        sign(packer, batch, "sealed")
    with pytest.raises(BatchNotFound):
        batches.sign_batch_step(actor=packer, batch_id=99_999, step="checked")
    assert BatchSignoff.objects.filter(batch=batch).count() == 1


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.HQ_FINANCE])
def test_only_stock_keeping_roles_sign(batch, role):
    actor = f.actor(role) if role.startswith("hq_") else inv.store_staff("S01", role)
    with refused(NotPermitted, "not_permitted"):
        sign(actor, batch, "checked")
    assert not BatchSignoff.objects.exists()


def test_the_steps_are_optional_before_a_handover(people, batch):
    # A received batch's cards go to a store without being checked or made ready
    keeper = people[1]
    handover = draft_handover(keeper, f.store("S01"), list(batch.cards.all()))
    assert dispatch_handover(actor=keeper, handover_id=handover.pk).state == "dispatched"
    assert batch.status == BatchStatus.RECEIVED and not batch.signoffs.exists()


def test_the_proof_sheet_has_the_steps_and_signature_lines(people, batch):
    _, receiver, checker, _ = people
    before = pdf_pages(batch_proof_pdf(batch))[0]
    assert f"Received: {receiver.staff}" in before
    assert "Checked: ______" in before and "Made ready: ______" in before
    assert before.count("Signature: ______") == 3
    sign(checker, batch, "checked")
    after = pdf_pages(batch_proof_pdf(batch))[0]
    assert f"Checked: {checker.staff}" in after and "Made ready: ______" in after
