"""``membercard batch``: production batches from the command line (HQ stock keeper's tools).

    membercard batch create --product CODE --quantity N [--unit-cost MINOR] [--supplier S] --by USER
    membercard batch import FILE --product CODE [--unit-cost MINOR] [--supplier S] --by USER
    membercard batch export BATCH --format csv|pdf --output FILE [--limit N]
    membercard batch receive BATCH --by USER
    membercard batch cancel BATCH --reason TEXT --by USER
    membercard batch void NUMBER... --reason TEXT --by USER
    membercard batch approve REQUEST --by USER [--note TEXT]
    membercard batch reject REQUEST --note TEXT --by USER

Four eyes: ``create``, ``import``, ``cancel`` and ``void`` file an approval request (printed
with its number) and produce, import, cancel or void nothing; another HQ admin or stock
keeper approves it on the page /approvals/<number>/ or with ``batch approve`` (the batch is
then made, cancelled or the cards voided, as the maker, in the approval's transaction), or
rejects it. ``approve`` and ``reject`` also decide a handover card written off as lost.
Whoever ordered a batch cannot ``receive`` it (they may ask to cancel it).

BATCH is the document number (B000012) or the bare number (12). ``--by`` names the staff
member acting; their role and location decide what they may do, as on the pages. A refusal
prints why on stderr and exits with status 1. The audit row is written in the batch's own
transaction (``AuditedCommand``): exit 0 means the work committed.
"""

from __future__ import annotations

import re
import sys
import uuid
from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from membercard.approvals.models import ApprovalRequest, RequestKind
from membercard.approvals.services import approve, reject
from membercard.approvals.stock import request_batch_order, request_card_void
from membercard.approvals.stock_write_offs import request_batch_cancel
from membercard.cards.models import Batch, CardProduct
from membercard.cards.states import CardState
from membercard.core.actors import Actor
from membercard.core.errors import DomainError
from membercard.core.models import Staff
from membercard.inventory import exports
from membercard.inventory.errors import BatchImportRefused
from membercard.inventory.services import batches
from membercard.ops.management.audited import AuditedCommand

_SENT = "sent for approval: another HQ admin or stock keeper approves it at /approvals/."
_BATCH = re.compile(r"[Bb]?([0-9]{1,12})", re.ASCII)
# The requests ``approve`` and ``reject`` decide: the stock ones.
_STOCK_KINDS = (
    RequestKind.BATCH_ORDER,
    RequestKind.CARD_VOID,
    RequestKind.BATCH_CANCEL,
    RequestKind.HANDOVER_LOSS,
)


class Command(AuditedCommand):
    help = "Card production batches: create, import, export, receive, cancel, void misprints."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="ACTION")

        create = sub.add_parser("create", help="order a batch with generated numbers")
        create.add_argument("--product", required=True, help="card product code")
        create.add_argument("--quantity", type=int, required=True)
        self._order_options(create)

        imported = sub.add_parser("import", help="a batch from the manufacturer's CSV file")
        imported.add_argument("file", help="CSV: number[,rfid_uid], optional header row")
        imported.add_argument("--product", required=True, help="card product code")
        self._order_options(imported)

        export = sub.add_parser("export", help="the production CSV or the proof sheet PDF")
        export.add_argument("batch", help="B000012 or 12")
        export.add_argument("--format", choices=("csv", "pdf"), required=True)
        export.add_argument("--output", required=True, help="file to write ('-': stdout, csv)")
        export.add_argument("--limit", type=int, help="pdf: only the first N cards")

        receive = sub.add_parser("receive", help="the delivery arrived: cards into HQ stock")
        receive.add_argument("batch", help="B000012 or 12")
        receive.add_argument("--by", required=True, help="username of the staff member")

        cancel = sub.add_parser("cancel", help="the order will not be delivered: cards void")
        cancel.add_argument("batch", help="B000012 or 12")
        cancel.add_argument("--reason", required=True)
        cancel.add_argument("--by", required=True, help="username of the staff member")

        void = sub.add_parser("void", help="quality check: void misprinted cards at HQ")
        void.add_argument("numbers", nargs="+", metavar="NUMBER")
        void.add_argument("--reason", required=True)
        void.add_argument("--by", required=True, help="username of the staff member")

        approve = sub.add_parser("approve", help="approve a stock request (order, void...)")
        approve.add_argument("request", type=int, help="the request's number")
        approve.add_argument("--note", default="")
        approve.add_argument("--by", required=True, help="username of the approver")

        rejected = sub.add_parser("reject", help="reject a stock request: nothing happens")
        rejected.add_argument("request", type=int, help="the request's number")
        rejected.add_argument("--note", required=True, help="why it is rejected")
        rejected.add_argument("--by", required=True, help="username of the staff member")

    @staticmethod
    def _order_options(parser: CommandParser) -> None:
        parser.add_argument("--unit-cost", type=int, help="minor units (default: the product's)")
        parser.add_argument("--supplier", default="")
        parser.add_argument("--notes", default="")
        parser.add_argument("--by", required=True, help="username of the staff member")

    audit_name = "batch"

    def audit_what(self, options: dict) -> str:
        return f"batch {options['subcommand']}"

    def work(self, **options) -> str:
        """The sub-command's business operation; the line to print once it committed."""
        return getattr(self, f"_{options['subcommand']}")(options)

    def report(self, result: str, **options) -> None:
        if result:
            self.stdout.write(self.style.SUCCESS(result))

    def refused(self, error: DomainError) -> None:
        if isinstance(error, BatchImportRefused):
            for problem in error.extra.get("problems", []):
                self.stderr.write(f"line {problem['line']}: {problem['problem']}")

    # Sub-commands ----------------------------------------------------------------------

    def _create(self, options: dict) -> str:
        product = _product(options["product"])
        request = request_batch_order(
            actor=_actor(options["by"]),
            product=product,
            quantity=options["quantity"],
            unit_cost_minor=_unit_cost(options, product),
            supplier=options["supplier"],
            notes=options["notes"],
            idempotency_key=uuid.uuid4().hex,
        )
        return (
            f"Request #{request.pk}: a batch of {request.preview['quantity']:,} cards of "
            f"{product.name} ({product.code}) {_SENT}"
        )

    def _import(self, options: dict) -> str:
        product = _product(options["product"])
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        request = request_batch_order(
            actor=_actor(options["by"]),
            product=product,
            rows_text=_decode(data),
            unit_cost_minor=_unit_cost(options, product),
            supplier=options["supplier"],
            notes=options["notes"],
            idempotency_key=uuid.uuid4().hex,
        )
        return (
            f"Request #{request.pk}: {request.preview['quantity']:,} cards of {product.name} "
            f"({product.code}) from {path.name} {_SENT}"
        )

    def _export(self, options: dict) -> str:
        batch = _batch(options["batch"])
        output = options["output"]
        if options["format"] == "csv":
            text = exports.batch_csv(batch)
            if output == "-":
                sys.stdout.write(text)
                return ""
            Path(output).write_text(text, encoding="utf-8", newline="")
        else:
            if output == "-":
                raise CommandError("Write the PDF to a file: --output proof.pdf")
            Path(output).write_bytes(exports.batch_proof_pdf(batch, limit=options["limit"]))
        return f"Wrote {output} ({options['format']}) for batch {batch.document_number}."

    def _receive(self, options: dict) -> str:
        actor = _actor(options["by"])
        batch = batches.receive_batch(
            actor=actor, batch_id=_batch_id(options["batch"]), progress=self._progress("received")
        )
        in_stock = batch.cards.filter(state=CardState.IN_STOCK).count()
        return (
            f"Batch {batch.document_number} received: {in_stock:,} cards in stock at "
            f"{actor.location.code}."
        )

    def _cancel(self, options: dict) -> str:
        request = request_batch_cancel(
            actor=_actor(options["by"]),
            batch_id=_batch_id(options["batch"]),
            reason=options["reason"],
            idempotency_key=uuid.uuid4().hex,
        )
        preview = request.preview
        return (
            f"Request #{request.pk}: cancel batch {preview['batch']} ({preview['count']:,} cards "
            f"void) {_SENT}"
        )

    def _void(self, options: dict) -> str:
        request = request_card_void(
            actor=_actor(options["by"]),
            numbers=options["numbers"],
            reason=options["reason"],
            idempotency_key=uuid.uuid4().hex,
        )
        count = request.preview["count"]
        return f"Request #{request.pk}: void {count} card{'s' if count != 1 else ''} {_SENT}"

    def _approve(self, options: dict) -> str:
        found = _stock_request(options["request"])
        request = approve(actor=_actor(options["by"]), request_id=found.pk, note=options["note"])
        preview = request.preview
        if request.kind == RequestKind.BATCH_ORDER:
            return f"Request #{request.pk} approved: batch {preview['batch']} ordered."
        if request.kind == RequestKind.BATCH_CANCEL:
            return (
                f"Request #{request.pk} approved: batch {preview['batch']} cancelled, "
                f"{preview['count']:,} cards voided."
            )
        if request.kind == RequestKind.HANDOVER_LOSS:
            return (
                f"Request #{request.pk} approved: the card missing from {preview['handover']} "
                "is void (lost)."
            )
        return f"Request #{request.pk} approved: {preview['count']} cards voided."

    def _reject(self, options: dict) -> str:
        found = _stock_request(options["request"])
        reject(actor=_actor(options["by"]), request_id=found.pk, note=options["note"])
        return f"Request #{found.pk} rejected: nothing was done."

    def _progress(self, verb: str):
        def say(done: int, total: int) -> None:
            self.stdout.write(f"  {done:,}/{total:,} cards {verb} ({done * 100 // total}%)")

        return say


def _actor(username: str) -> Actor:
    staff = Staff.objects.select_related("location").filter(username=username).first()
    if staff is None:
        raise CommandError(f"No staff member with the username {username!r}.")
    return Actor.for_staff(staff)


def _stock_request(number: int) -> ApprovalRequest:
    found = ApprovalRequest.objects.filter(pk=number, kind__in=_STOCK_KINDS).first()
    if found is None:
        raise CommandError(f"No stock request #{number} (batch order, cancellation, void, loss).")
    return found


def _product(code: str) -> CardProduct:
    product = CardProduct.objects.filter(code=code).first()
    if product is None:
        raise CommandError(f"No card product with the code {code!r}.")
    return product


def _unit_cost(options: dict, product: CardProduct) -> int:
    cost = options["unit_cost"]
    return product.unit_cost_minor if cost is None else cost


def _batch_id(text: str) -> int:
    match = _BATCH.fullmatch(text.strip())
    if match is None:
        raise CommandError(f"{text!r} is not a batch number (B000012 or 12).")
    return int(match.group(1))


def _batch(text: str) -> Batch:
    batch = Batch.objects.select_related("product").filter(pk=_batch_id(text)).first()
    if batch is None:
        raise CommandError(f"No batch {text}.")
    return batch


def _decode(data: bytes) -> str:
    """The manufacturer's file: UTF-8 (with or without BOM), else GB 18030 (Chinese Excel)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise CommandError("The file is neither UTF-8 nor GB 18030 text.") from None
