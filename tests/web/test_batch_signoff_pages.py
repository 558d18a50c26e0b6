"""The batch page's steps: received, checked, made ready, each signed by someone other than
the previous step's signer, shown with who and when, audited; the proof sheet prints them."""

from __future__ import annotations

import pytest

from membercard.core.models import AuditEvent, Role
from membercard.inventory.models import BatchSignoff, BatchStep
from membercard.inventory.services import batches
from tests import factories as f
from tests.inventory import factories as inv
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    """A batch of three cards ordered by one keeper and received by another."""
    batch = inv.order_batch(inv.keeper(), f.product(name="Gold card"), 3)
    return batches.receive_batch(actor=inv.keeper(), batch_id=batch.pk)


def test_two_people_sign_the_batch_steps_on_its_page(received):
    checker, packer = signed_in(Role.HQ_STOCK), signed_in(Role.HQ_ADMIN)
    page = checker.get(f"/hq/batches/{received.pk}/").content.decode()
    assert 'id="batch-steps"' in page and f"/hq/batches/{received.pk}/sign/checked/" in page
    assert str(received.received_by) in page

    response = checker.post(f"/hq/batches/{received.pk}/sign/checked/", {"sign-note": "counted 3"})
    assert response.status_code == 302
    # The checker may not make ready what it checked: refused, nothing signed
    refused = checker.post(f"/hq/batches/{received.pk}/sign/made_ready/", {"sign-note": ""})
    assert refused.status_code == 403
    assert packer.post(f"/hq/batches/{received.pk}/sign/made_ready/", {}).status_code == 302

    signed = dict(BatchSignoff.objects.filter(batch=received).values_list("step", "signed_by"))
    assert signed == {BatchStep.CHECKED: checker.staff.pk, BatchStep.MADE_READY: packer.staff.pk}
    page = checker.get(f"/hq/batches/{received.pk}/").content.decode()
    assert "counted 3" in page and str(packer.staff) in page
    assert "/sign/" not in page  # nothing left to sign
    audited = AuditEvent.objects.filter(what="web:batch-sign").values_list("staff_id", flat=True)
    assert set(audited) >= {checker.staff.pk, packer.staff.pk}
    proof = inv.pdf_pages(checker.get(f"/hq/batches/{received.pk}/proof.pdf").content)[0]
    assert f"Checked: {checker.staff}" in proof and f"Made ready: {packer.staff}" in proof


def test_a_step_out_of_order_is_refused_on_the_page(received):
    packer = signed_in(Role.HQ_STOCK)
    response = packer.post(f"/hq/batches/{received.pk}/sign/made_ready/", {})
    assert response.status_code == 409
    assert "Checked is signed first" in response.content.decode()
    assert not BatchSignoff.objects.exists()


def test_a_store_manager_cannot_sign(received):
    manager = signed_in(Role.STORE_MANAGER, f.store("S01"))
    assert manager.post(f"/hq/batches/{received.pk}/sign/checked/", {}).status_code == 403
    assert not BatchSignoff.objects.exists()
