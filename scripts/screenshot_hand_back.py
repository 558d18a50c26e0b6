"""The hand-back screens of ``make screenshots`` (kept apart: ``screenshots.py`` is full):
the receipt of the demo's keychain card handed back at S02, with the deposit refunded as
its own line."""

from __future__ import annotations

from screenshot_demo import MANAGER2  # S02's manager opens S02's receipts


def demo_hand_back() -> int | None:
    """The demo's hand-back (``ops/demo/stories.py``: a keychain card at S02)."""
    from membercard.ledger.models import Operation, OperationKind

    operation = Operation.objects.filter(kind=OperationKind.CARD_RECOVERY).order_by("pk").first()
    return None if operation is None else operation.pk


def hand_back_screens(camera) -> None:
    """``camera``: the ``screenshots.Camera`` taking this run's shots."""
    operation = demo_hand_back()
    if operation is None:
        camera.skip("handback-receipt", "no hand-back in the demo")
        return
    with camera.session(MANAGER2) as page:
        if camera.open(page, "handback-receipt", "web:receipt", {"operation_id": operation}):

            def snap() -> None:
                page.locator("#receipt-deposit-refunded").wait_for()
                camera.snap(page, "handback-receipt")

            camera.attempt("handback-receipt", snap)
