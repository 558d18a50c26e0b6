"""HQ back-office writes the loyalty services did not have yet: change or end a points
campaign. Same rules as ``programs.save_campaign`` (HQ admin only, sane multiplier,
dates in order)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.translation import gettext as _

from membercard.cards.models import CardProduct
from membercard.core.actors import Actor
from membercard.core.calendar import today
from membercard.core.errors import NotFound, ValidationFailed
from membercard.core.models import Location
from membercard.core.transactions import business_operation
from membercard.loyalty.models import Campaign
from membercard.loyalty.services.programs import _full_clean, _require


def _locked_campaign(campaign_id: int) -> Campaign:
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("No such campaign."))
    return campaign


@business_operation
def update_campaign(
    *,
    actor: Actor,
    campaign_id: int,
    name: str,
    multiplier_pct: int,
    starts_on: dt.date,
    ends_on: dt.date,
    stores: Iterable[Location] = (),
    products: Iterable[CardProduct] = (),
    is_active: bool = True,
) -> Campaign:
    """Change a campaign (HQ admin). No stores or products listed: all of them."""
    _require(actor)
    campaign = _locked_campaign(campaign_id)
    if ends_on < starts_on:
        raise ValidationFailed(_("A campaign ends on or after its first day."), field="ends_on")
    if not 100 <= multiplier_pct <= 10_000:
        raise ValidationFailed(_("The multiplier is 100 % to 10 000 %."), field="multiplier_pct")
    campaign.name = (name or "").strip()
    campaign.multiplier_pct = multiplier_pct
    campaign.starts_on = starts_on
    campaign.ends_on = ends_on
    campaign.is_active = is_active
    _full_clean(campaign)
    campaign.save()
    campaign.stores.set(list(stores))
    campaign.products.set(list(products))
    return campaign


@business_operation
def end_campaign(*, actor: Actor, campaign_id: int) -> Campaign:
    """Stop a campaign now: it no longer applies from today on. A campaign that has not
    started yet is switched off; one that runs ends yesterday (or today's start)."""
    _require(actor)
    campaign = _locked_campaign(campaign_id)
    if not campaign.is_active:
        raise ValidationFailed(_("The campaign has ended already."))
    on = today()
    if campaign.ends_on < on:
        raise ValidationFailed(_("The campaign has ended already."))
    campaign.is_active = False
    if campaign.starts_on < on:
        campaign.ends_on = on - dt.timedelta(days=1)
    campaign.save(update_fields=["is_active", "ends_on"])
    return campaign
