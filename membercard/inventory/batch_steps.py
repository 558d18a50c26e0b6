"""Reads about HQ's signed steps on a batch (received, checked, made ready), for the batch
page and the proof sheet; signing is ``services.batches.signoffs``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from membercard.cards.models import Batch, BatchStatus
from membercard.core.models import Staff
from membercard.inventory.models import BatchStep


@dataclass(frozen=True)
class SignedStep:
    """One step of a batch as the page and the proof sheet show it (unsigned: no one)."""

    step: str
    label: str
    signed_by: Staff | None
    signed_at: dt.datetime | None
    note: str = ""


def batch_steps(batch: Batch) -> list[SignedStep]:
    """Received, checked, made ready: who signed each and when (``None`` if not yet)."""
    signed = {s.step: s for s in batch.signoffs.select_related("signed_by")}
    steps = [SignedStep("received", _("Received"), batch.received_by, batch.received_at)]
    for step in BatchStep:
        row = signed.get(step)
        steps.append(
            SignedStep(
                step.value,
                str(step.label),
                row.signed_by if row else None,
                row.signed_at if row else None,
                row.note if row else "",
            )
        )
    return steps


def next_step(batch: Batch) -> BatchStep | None:
    """The step that can be signed now, if any."""
    if batch.status != BatchStatus.RECEIVED:
        return None
    done = set(batch.signoffs.values_list("step", flat=True))
    return next((step for step in BatchStep if step not in done), None)
