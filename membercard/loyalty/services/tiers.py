"""Membership tiers: qualify by spend and/or points within a window, upgrade after a
purchase, review down at period end, override by HQ. Every change is a ``TierChange``.

Rules:

* **Pricing**: a card with a tier pays the tier's discount rate, which *replaces* the
  product's own rate, and earns points times the tier's multiplier.
* **Starting tier**: a card given to a member (sold to one, or linked to one at
  registration) gets at once the tier its figures reach, usually the product's entry tier
  (a tier with no threshold), not only after its first purchase.
* **Upgrade on crossing**: after each purchase the card's spend (net of refunds and
  reversals) and points earned within the product's window are counted, the purchase
  itself included. If they reach a higher tier the card moves up, *after* the purchase:
  the purchase that crosses the threshold is priced (and earns) at the OLD tier; the next
  purchase gets the new one. Reversing that purchase (same day) reverts the upgrade.
* **Downgrade** only at a period end (``review_tiers``, the product's review period):
  a card is set to the tier its figures of the window ending the day before qualify for,
  if that is lower. Cards whose tier changed on or after the review date, or that HQ
  holds (``held_until``), are left alone. A review is done once per product and date.
* **Override**: HQ admin or finance sets any tier (or none) with a reason, optionally
  held against reviews until a date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Q, Sum
from django.utils.translation import gettext as _

from membercard.cards.models import Card, CardProduct
from membercard.cards.states import ISSUED
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.errors import CardNotActive, NotFound, ProductPolicyViolation, ValidationFailed
from membercard.core.permissions import Action, require
from membercard.core.transactions import business_operation
from membercard.ledger.models import AccountKind, Operation, OperationKind, Transfer
from membercard.ledger.posting import lock_cards
from membercard.loyalty.models import (
    CardStanding,
    LoyaltyPolicy,
    Tier,
    TierChange,
    TierChangeKind,
    TierReview,
    TierReviewPeriod,
)
from membercard.loyalty.policies import policy_for, starts_review_period, window_start
from membercard.loyalty.services.standing import standing_of


@dataclass(frozen=True)
class Progress:
    """What counts towards a tier: net spend (minor units) and points earned by purchases."""

    spend_minor: int
    points: int


def current_tier(card: Card) -> Tier | None:
    """The card's tier; ``None`` without one, or when its product has tiers switched off."""
    if not card.product.has_tiers:
        return None
    standing = CardStanding.objects.select_related("tier").filter(card=card).first()
    return standing.tier if standing is not None else None


def lineage(card: Card) -> list[int]:
    """The card and the cards it replaced, newest first."""
    ids = [card.pk]
    while (
        previous := Card.objects.filter(replaced_by_id=ids[-1]).values_list("pk", flat=True).first()
    ) is not None:
        ids.append(previous)
    return ids


def progress(card: Card, *, policy: LoyaltyPolicy, until: dt.date) -> Progress:
    """Spend and points of the card (and the cards it replaced) in the window ending
    ``until``, counting from its last hand-back (a recovered card starts afresh)."""
    ids = lineage(card)
    ops = Operation.objects.filter(card_id__in=ids, business_date__lte=until)
    start = window_start(policy, until)
    if start is not None:
        ops = ops.filter(business_date__gt=start)
    last_recovery = Operation.objects.filter(
        card_id__in=ids, kind=OperationKind.CARD_RECOVERY
    ).aggregate(pk=Max("pk"))["pk"]
    if last_recovery is not None:
        ops = ops.filter(pk__gt=last_recovery)
    live = ops.filter(reversed_by__isnull=True)
    bought = live.filter(kind=OperationKind.PURCHASE).aggregate(t=Sum("net_minor"))["t"] or 0
    refunded = live.filter(kind=OperationKind.REFUND).aggregate(t=Sum("net_minor"))["t"] or 0
    # Points issued by purchases, less what refunds and reversals took back to points_issued.
    transfers = Transfer.objects.filter(operation__in=ops)
    issued = transfers.filter(debit_account__kind=AccountKind.POINTS_ISSUED).aggregate(
        t=Sum("amount")
    )["t"]
    returned = transfers.filter(credit_account__kind=AccountKind.POINTS_ISSUED).aggregate(
        t=Sum("amount")
    )["t"]
    return Progress(spend_minor=bought - refunded, points=(issued or 0) - (returned or 0))


def qualified_tier(product: CardProduct, figures: Progress) -> Tier | None:
    """The highest tier of ``product`` the figures reach, or ``None``."""
    for tier in Tier.objects.filter(product=product).order_by("-rank"):
        if tier.qualifies(spend_minor=figures.spend_minor, points=figures.points):
            return tier
    return None


def _rank(tier: Tier | None) -> int:
    return -1 if tier is None else tier.rank


def _record(
    card: Card,
    standing: CardStanding,
    to_tier: Tier | None,
    *,
    kind: TierChangeKind,
    reason: str,
    actor: Actor,
    on: dt.date,
    operation: Operation | None = None,
    held_until: dt.date | None = None,
) -> TierChange:
    change = TierChange.objects.create(
        card=card,
        kind=kind,
        from_tier=standing.tier,
        to_tier=to_tier,
        reason=reason,
        staff=actor.staff,
        terminal=actor.terminal,
        location=actor.location,
        operation=operation,
        business_date=on,
    )
    standing.tier, standing.tier_since, standing.held_until = to_tier, on, held_until
    standing.save(update_fields=["tier", "tier_since", "held_until", "updated_at"])
    return change


def upgrade_after_purchase(*, card: Card, operation: Operation, actor: Actor) -> TierChange | None:
    """Move the card up if the purchase just posted made it reach a higher tier. The
    purchase itself was priced at the tier the card had before (see the module rules)."""
    if not card.product.has_tiers:
        return None
    policy = policy_for(card.product)
    figures = progress(card, policy=policy, until=operation.business_date)
    qualified = qualified_tier(card.product, figures)
    if qualified is None or _rank(qualified) <= _rank(current_tier(card)):
        return None
    standing = standing_of(card)
    reason = f"Reached {qualified.name}: spend {figures.spend_minor}, points {figures.points}."
    return _record(
        card,
        standing,
        qualified,
        kind=TierChangeKind.UPGRADE,
        reason=reason,
        actor=actor,
        on=operation.business_date,
        operation=operation,
    )


def give_starting_tier(
    *, card: Card, actor: Actor, on: dt.date, operation: Operation | None = None
) -> TierChange | None:
    """The card was just given to a member: if it has no tier yet, it gets the highest tier
    its figures reach (for a new card, the entry tier with no threshold), recorded as an
    upgrade. Inside the caller's business operation, which holds the card's lock."""
    if not card.product.has_tiers or current_tier(card) is not None:
        return None
    figures = progress(card, policy=policy_for(card.product), until=on)
    qualified = qualified_tier(card.product, figures)
    if qualified is None:
        return None
    return _record(
        card,
        standing_of(card),
        qualified,
        kind=TierChangeKind.UPGRADE,
        reason=f"Starting tier for the member: {qualified.name}.",
        actor=actor,
        on=on,
        operation=operation,
    )


def revert_upgrade(*, original: Operation, reversal: Operation, actor: Actor) -> None:
    """A reversed purchase takes back the upgrade it caused, if the card still has it."""
    change = TierChange.objects.filter(operation=original, kind=TierChangeKind.UPGRADE).first()
    if change is None:
        return
    standing = standing_of(original.card)
    if standing.tier_id != change.to_tier_id:
        return
    _record(
        original.card,
        standing,
        change.from_tier,
        kind=TierChangeKind.REVERTED,
        reason=f"Purchase {original.receipt_number} was reversed.",
        actor=actor,
        on=reversal.business_date,
        operation=reversal,
    )


def carry_over(*, old: Card, new: Card, operation: Operation, actor: Actor) -> None:
    """A replacement card takes over the old card's tier, hold and points owed."""
    before = CardStanding.objects.select_related("tier").filter(card=old).first()
    if before is None:
        return
    owed, tier, held = before.points_owed, before.tier, before.held_until
    if owed:
        before.points_owed = 0
        before.save(update_fields=["points_owed", "updated_at"])
        after = standing_of(new)
        after.points_owed = owed
        after.save(update_fields=["points_owed", "updated_at"])
    if tier is None:
        return
    on, why = operation.business_date, f"Card replaced ({operation.receipt_number})."
    _record(
        old,
        before,
        None,
        kind=TierChangeKind.REPLACEMENT,
        reason=why,
        actor=actor,
        on=on,
        operation=operation,
    )
    _record(
        new,
        standing_of(new),
        tier,
        kind=TierChangeKind.REPLACEMENT,
        reason=why,
        actor=actor,
        on=on,
        operation=operation,
        held_until=held,
    )


def reset(*, card: Card, operation: Operation, actor: Actor, reason: str) -> int:
    """The card left its holder (handed back, sale reversed): no tier, nothing owed.
    Returns the points owed that were written off."""
    standing = CardStanding.objects.select_related("tier").filter(card=card).first()
    if standing is None:
        return 0
    forgiven = standing.points_owed
    if forgiven:
        standing.points_owed = 0
        standing.save(update_fields=["points_owed", "updated_at"])
    if standing.tier_id is not None:
        _record(
            card,
            standing,
            None,
            kind=TierChangeKind.RESET,
            reason=reason,
            actor=actor,
            on=operation.business_date,
            operation=operation,
        )
    return forgiven


@business_operation
def set_tier(
    *,
    actor: Actor,
    card_number: str,
    tier_code: str | None,
    reason: str,
    hold_until: dt.date | None = None,
) -> TierChange:
    """HQ sets a card's tier by hand (``tier_code`` None: no tier), with a reason; with
    ``hold_until`` the period review leaves it alone until after that date."""
    require(actor, Action.SET_TIER, _("set a card's tier"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("A tier override needs a reason."), field="reason")
    (card,) = lock_cards(card_number)
    if card.state not in ISSUED:
        raise CardNotActive(_("Only a card in a customer's hands has a tier."), state=card.state)
    if not card.product.has_tiers:
        raise ProductPolicyViolation(
            _("%(product)s has no tiers.") % {"product": card.product.name}
        )
    tier = None
    if tier_code is not None:
        tier = Tier.objects.filter(product=card.product, code=tier_code).first()
        if tier is None:
            raise NotFound(
                _("%(product)s has no tier %(tier)s.")
                % {"product": card.product.name, "tier": repr(tier_code)}
            )
    standing = standing_of(card)
    if standing.tier_id == (tier.pk if tier else None) and standing.held_until == hold_until:
        raise ValidationFailed(_("The card already has that tier."), field="tier_code")
    return _record(
        card,
        standing,
        tier,
        kind=TierChangeKind.OVERRIDE,
        reason=reason,
        actor=actor,
        on=today(),
        held_until=hold_until,
    )


# Period review -----------------------------------------------------------------------------


@business_operation
def _review_card(*, actor: Actor, card_id: int, on: dt.date, policy: LoyaltyPolicy) -> bool:
    """Downgrade one card at the review of ``on`` if its figures no longer hold its tier."""
    number = Card.objects.filter(pk=card_id).values_list("number", flat=True).get()
    (card,) = lock_cards(number)
    standing = standing_of(card)
    eligible = (
        standing.tier is not None
        and card.state in ISSUED
        and standing.tier_since is not None
        and standing.tier_since < on
        and (standing.held_until is None or standing.held_until < on)
    )
    if not eligible:
        return False
    figures = progress(card, policy=policy, until=on - dt.timedelta(days=1))
    qualified = qualified_tier(card.product, figures)
    if _rank(qualified) >= _rank(standing.tier):
        return False
    reason = (
        f"Period review {on.isoformat()}: spend {figures.spend_minor}, points {figures.points}."
    )
    _record(
        card, standing, qualified, kind=TierChangeKind.DOWNGRADE, reason=reason, actor=actor, on=on
    )
    return True


def review_tiers(*, actor: Actor, on: dt.date) -> list[TierReview]:
    """The period-end review for every product whose review period ends the day before
    ``on``. Each card is its own transaction; the product's ``TierReview`` row, written
    last, makes a second run for the same date do nothing."""
    require(actor, Action.REVIEW_TIERS, _("review tiers"))
    done = []
    policies = LoyaltyPolicy.objects.select_related("product").exclude(
        tier_review=TierReviewPeriod.NONE
    )
    for policy in policies:
        product = policy.product
        if not product.has_tiers or not starts_review_period(policy, on):
            continue
        if TierReview.objects.filter(product=product, review_date=on).exists():
            continue
        card_ids = list(
            CardStanding.objects.filter(
                card__product=product, tier__isnull=False, card__state__in=sorted(ISSUED)
            )
            .filter(Q(tier_since__lt=on))
            .order_by("card_id")
            .values_list("card_id", flat=True)
        )
        downgraded = sum(
            _review_card(actor=actor, card_id=card_id, on=on, policy=policy) for card_id in card_ids
        )
        done.append(
            _note_review(product=product, on=on, reviewed=len(card_ids), downgraded=downgraded)
        )
    return done


@business_operation
def _note_review(
    *, product: CardProduct, on: dt.date, reviewed: int, downgraded: int
) -> TierReview:
    """The product's review for ``on`` is done (a business operation of its own, so the
    operator's audit row can go with it when no card moved)."""
    review, _created = TierReview.objects.get_or_create(
        product=product,
        review_date=on,
        defaults={"cards_reviewed": reviewed, "cards_downgraded": downgraded},
    )
    return review
