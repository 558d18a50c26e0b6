"""HQ's internal steps on a received batch, signed by two people like a handover.

The receipt into stock (``receiving.receive_batch``) is the first step and its signer is
``Batch.received_by``. Then the batch is *checked* (counted, misprints voided) and *made
ready* (packed for the stores), each signed by someone other than whoever signed the step
before it: the receiver does not check their own delivery, the checker does not release
their own check. The steps are optional: a batch's cards can be handed over without them,
and a step cannot be skipped (made ready needs checked). Signing changes no card, so it
writes no stock movement; the sign-off row (who, when, a note) and the page's audit row
record it, and the batch page and proof sheet show it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from membercard.cards.models import Batch, BatchStatus
from membercard.core.actors import Actor
from membercard.core.errors import NotPermitted, ValidationFailed
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.inventory.errors import BatchNotFound, BatchStepRefused, SameSigner
from membercard.inventory.models import BatchSignoff, BatchStep

# Each step and the step whose signer may not sign it.
PREVIOUS = {BatchStep.CHECKED: "received", BatchStep.MADE_READY: BatchStep.CHECKED}


def _previous_signer(batch: Batch, step: BatchStep) -> int | None:
    previous = PREVIOUS[step]
    if previous == "received":
        return batch.received_by_id
    row = batch.signoffs.filter(step=previous).first()
    if row is None:
        raise BatchStepRefused(
            _("%(step)s is signed first.") % {"step": BatchStep(previous).label},
            step=str(previous),
        )
    return row.signed_by_id


@business_operation
def sign_batch_step(*, actor: Actor, batch_id: int, step: str, note: str = "") -> BatchSignoff:
    """``actor`` signs ``step`` (checked, made ready) of a received batch."""
    require(actor, Action.RECEIVE_BATCH, _("sign batch steps"))
    if actor.staff is None:
        raise NotPermitted(_("A batch step is signed by a person, not a terminal."))
    if step not in BatchStep.values:
        raise ValidationFailed(_("No such batch step."), field="step")
    chosen = BatchStep(step)
    batch = Batch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise BatchNotFound()
    if batch.status != BatchStatus.RECEIVED:
        raise BatchStepRefused(_("The batch is received into stock first."), step=step)
    if signed := batch.signoffs.filter(step=chosen).select_related("signed_by").first():
        raise BatchStepRefused(
            _("%(step)s was already signed by %(who)s.")
            % {"step": chosen.label, "who": signed.signed_by},
            step=step,
        )
    if _previous_signer(batch, chosen) == actor.staff.pk:
        raise SameSigner(step=step)
    return BatchSignoff.objects.create(
        batch=batch, step=chosen, signed_by=actor.staff, note=note.strip()
    )
