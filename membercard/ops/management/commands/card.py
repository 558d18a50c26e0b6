"""``membercard card``: a card operation from the command line, as at the counter.

    membercard card hand-back NUMBER --store S01 --tender cash --by USER [--fit-to-sell]

``hand-back`` takes a one-time card back at the store (``operations.hand_back``): its
deposit, and value left where the product pays it out, is paid back by the tender; the card
stays at the store as recovered (to check), or back in stock with ``--fit-to-sell`` (for
those who may restock). ``--by`` names the staff member acting, who must work at
``--store``; their role decides what they may do, as on the pages. NUMBER is what a reader
would type (digits, a track, a barcode), looked up through the one throttle. The card's
number is printed and audited masked. A refusal prints why on stderr and exits 1.
"""

from __future__ import annotations

import uuid

from django.core.management.base import CommandError, CommandParser

from membercard.cards.lookups import look_up_card
from membercard.core.actors import Actor
from membercard.core.models import Staff
from membercard.core.money import format_minor
from membercard.core.redaction import mask_number
from membercard.ledger.models import Operation, Tender
from membercard.operations.hand_back import hand_back_card
from membercard.ops.management.audited import AuditedCommand

# Where a command's look-ups are counted by the throttle (no client address).
CLI_ADDRESS = "cli"


class Command(AuditedCommand):
    help = "Card operations at a store: hand back a one-time card."
    audit_name = "card"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="ACTION")
        hand_back = sub.add_parser(
            "hand-back", help="take a one-time card back: its deposit is paid back"
        )
        hand_back.add_argument("number", metavar="NUMBER", help="the card, as a reader types it")
        hand_back.add_argument("--store", required=True, help="the store's code, e.g. S01")
        hand_back.add_argument("--tender", choices=Tender.values, default="cash")
        hand_back.add_argument(
            "--fit-to-sell", action="store_true", help="the card goes back into stock at once"
        )
        hand_back.add_argument("--key", default="", help="idempotency key (default: a new one)")
        hand_back.add_argument("--by", required=True, help="username of the staff member")

    def audit_what(self, options: dict) -> str:
        return f"card {options['subcommand']}"

    def audit_args(self, options: dict) -> list[str]:
        masked = {**options, "number": mask_number(options.get("number", ""))}
        return super().audit_args(masked)

    def work(self, **options) -> Operation:
        actor = _actor(options["by"], options["store"])
        card = look_up_card(actor, options["number"], address=CLI_ADDRESS).card
        return hand_back_card(
            actor=actor,
            card_number=card.number,
            tender=options["tender"],
            fit_to_sell=options["fit_to_sell"],
            idempotency_key=options["key"] or uuid.uuid4().hex,
        )

    def report(self, result: Operation, **options) -> None:
        details = result.details or {}
        where = "in stock" if details.get("card_state") == "in_stock" else "recovered (to check)"
        lines = [
            f"Receipt {result.receipt_number}: card {result.card.masked_number} handed back at "
            f"{result.location.code}; the card is {where}.",
            f"Deposit refunded: {format_minor(details.get('deposit_refunded_minor', 0))}",
        ]
        if details.get("value_paid_out_minor"):
            lines.append(f"Value paid out: {format_minor(details['value_paid_out_minor'])}")
        if details.get("bonus_forfeited_minor"):
            lines.append(f"Bonus kept: {format_minor(details['bonus_forfeited_minor'])}")
        if result.tender:
            lines.append(f"Paid back by: {result.tender}")
        for line in lines:
            self.stdout.write(self.style.SUCCESS(line) if line is lines[0] else line)


def _actor(username: str, store: str) -> Actor:
    staff = Staff.objects.select_related("location").filter(username=username).first()
    if staff is None:
        raise CommandError(f"No staff member with the username {username!r}.")
    if staff.location is None or staff.location.code != store:
        raise CommandError(f"{username} does not work at {store}.")
    return Actor.for_staff(staff)
