"""Batch bench: generate and store a 100 000-card production batch, export it, receive it.

Run from the checkout::

    .venv/bin/python bench/batch_bench.py --quantity 100000
    .venv/bin/python bench/batch_bench.py --database-url postgresql://postgres@127.0.0.1:5432/x

Like ``bench/ledger_bench.py`` it never touches your real database: it picks the database
*server* from ``--database-url`` (default ``$DATABASE_URL``, else SQLite) and works in a
scratch database of its own (PostgreSQL: ``--bench-db``, dropped and created afresh and
dropped at the end unless ``--keep``; SQLite: a file in a new temporary folder).

Steps, each through the service layer as the CLI runs them: ``create_batch`` (numbers
drawn with the CSPRNG, checked against the database, cards and movements bulk-written in
chunks), the manufacturer's CSV, a proof sheet PDF of the first ``--pdf-cards`` cards,
``receive_batch``, ``import_batch`` of a manufacturer's file of as many numbers with RFID
UIDs (another product), then the stock verification (replay of every movement). For each it
prints wall seconds, cards per second, this process's CPU seconds (the rest is the database
or other load on the machine) and the peak resident memory so far (ru_maxrss), and at the
end the row counts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from common import describe_database, peak_mb, run_in_scratch, setup_django


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quantity", type=int, default=100_000)
    parser.add_argument(
        "--pdf-cards", type=int, default=2_000, help="cards on the proof sheet (0: skip)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="which database server to bench (default $DATABASE_URL, else SQLite)",
    )
    parser.add_argument("--bench-db", default="membercard_batch_bench")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--no-verify", action="store_true", help="skip the stock verification")
    args = parser.parse_args(argv)
    if not 1 <= args.quantity <= 200_000:
        parser.error("--quantity is 1 to 200000")
    if not args.bench_db.replace("_", "").isalnum():
        parser.error("--bench-db: letters, digits and underscores only")
    return args


# The run -------------------------------------------------------------------------------


class Steps:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def run(self, name: str, cards: int, call):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = call()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        rate = cards / seconds if seconds else float("inf")
        line = (
            f"{name:<12} {cards:>7} cards {seconds:7.2f} s {rate:8.0f} cards/s  "
            f"(cpu {cpu:6.2f} s)  peak {peak_mb():4.0f} MB"
        )
        print(line, flush=True)
        self.lines.append(line)
        return result


def seed():
    from membercard.cards.models import CardProduct
    from membercard.core.actors import Actor
    from membercard.core.models import Location, LocationKind, Role, Staff

    hq = Location.objects.create(code="HQ", name="Head office", kind=LocationKind.HQ)
    keeper = Staff.objects.create_user(
        username="bench-keeper", password=None, role=Role.HQ_STOCK, location=hq
    )
    products = []
    for code, prefix in (("bench", "8899"), ("bench-rfid", "8898")):
        product = CardProduct(code=code, name="Bench 储值卡", number_prefix=prefix)
        product.full_clean()
        product.save()
        products.append(product)
    return Actor.for_staff(keeper), *products


def manufacturer_file(product, quantity: int) -> str:
    """A manufacturer's CSV: header, consecutive numbers with Luhn digits, RFID UIDs."""
    from membercard.cards.numbers import luhn_check_digit

    width = product.number_length - len(product.number_prefix) - 1
    lines = ["number;rfid_uid"]
    for serial in range(1, quantity + 1):
        payload = product.number_prefix + str(serial).zfill(width)
        lines.append(f"{payload}{luhn_check_digit(payload)};{0xA0000000 + serial:08X}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    connection = setup_django()
    from django.db.models import Count

    from membercard.cards.models import Batch, Card
    from membercard.inventory import exports
    from membercard.inventory.models import StockMovement
    from membercard.inventory.services import batches
    from membercard.inventory.verify import verify_stock

    print(f"database:    {describe_database(connection, args.bench_db)}")
    print(f"machine:     {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    actor, product, rfid_product = seed()
    print(f"quantity:    {args.quantity} cards, chunks of {batches.CHUNK}")
    print(f"baseline:    peak {peak_mb():.0f} MB after setup and migrate")
    steps = Steps()
    n = args.quantity
    batch = steps.run(
        "create",
        n,
        lambda: batches.create_batch(actor=actor, product=product, quantity=n, unit_cost_minor=90),
    )
    csv_text = steps.run("export csv", n, lambda: exports.batch_csv(batch))
    print(f"             csv {len(csv_text) / 1e6:.1f} MB")
    del csv_text
    if args.pdf_cards:
        shown = min(args.pdf_cards, n)
        pdf = steps.run("proof pdf", shown, lambda: exports.batch_proof_pdf(batch, limit=shown))
        print(f"             pdf {len(pdf) / 1e6:.1f} MB")
    steps.run("receive", n, lambda: batches.receive_batch(actor=actor, batch_id=batch.pk))
    text = manufacturer_file(rfid_product, n)
    steps.run(
        "import",
        n,
        lambda: batches.import_batch(
            actor=actor, product=rfid_product, rows_text=text, unit_cost_minor=150
        ),
    )
    if not args.no_verify:
        summary = steps.run("verify stock", Card.objects.count(), verify_stock)
        verdict = "clean" if not summary.problems else f"{len(summary.problems)} PROBLEMS"
        print(f"             verify: {verdict} {dict(summary.checked)}")
    states = dict(Card.objects.values_list("state").annotate(n=Count("pk")))
    events = dict(StockMovement.objects.values_list("event").annotate(n=Count("pk")))
    print(f"rows:        batches {Batch.objects.count()}, cards {Card.objects.count()} {states}")
    print(f"             stock movements {StockMovement.objects.count()} {events}")
    print(f"peak memory: {peak_mb():.0f} MB (ru_maxrss)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_in_scratch(args, lambda _data_dir: run(args), prefix="membercard-batch-bench-")


if __name__ == "__main__":
    sys.exit(main())
