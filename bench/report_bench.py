"""Report bench: a year of history straight into the tables, then the store-day
reconciliation and a one-year sales-and-inventory report, timed on PostgreSQL.

Run from the checkout::

    .venv/bin/python bench/report_bench.py --database-url postgresql://postgres@127.0.0.1:5432/x
    # quick (default): --cards 10000 --operations 100000 --stores 5
    # full size of issue #8: --cards 1000000 --operations 10000000 --stores 50

Like the other benches it never touches your real database: a scratch database
(``--bench-db``, dropped and created afresh, dropped at the end unless ``--keep``).

The history is generated with ``INSERT … SELECT generate_series`` (10 M operations through
the services would take days): cards (90 % sold, 10 % still in store stock), their stock
movements (produced at HQ, handed over, received at the store, sold), one card-sale
operation per sold card and the rest purchases (80 %) and top-ups (20 %) on later days,
each with its transfer, over ``--days`` complete business days ending yesterday; card
balances are then set to the sum of their transfers. No trigger is disabled: the
append-only guards refuse only UPDATE and DELETE, and the transfers' one-unit check runs
on every inserted row. Hash-chain links are not generated (``membercard verify`` would
report the chains; the reports do not read them).

Then it times: building the day rollups (once; afterwards a day is rolled up when it
ends), the store-day reconciliation (one store, one day; median of 5), a one-year
sales-and-inventory report (median of 3) and the report since opening (the whole
``--days`` of history; run with ``--days 3650`` for ten years), and prints whether the
report ties out.
Goals: < 200 ms and < 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time

from common import describe_database, peak_mb, run_in_scratch, setup_django

PRODUCTS = 4


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--operations", type=int, default=100_000)
    parser.add_argument("--stores", type=int, default=5)
    parser.add_argument("--days", type=int, default=365, help="days of history")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="a PostgreSQL server (default $DATABASE_URL)",
    )
    parser.add_argument("--bench-db", default="membercard_report_bench")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        parser.error("--database-url: a PostgreSQL server (the bulk load is PostgreSQL SQL)")
    if args.operations < args.cards or args.cards < 10 or args.days < 30 or args.stores < 1:
        parser.error("need --operations >= --cards >= 10, --days >= 30, --stores >= 1")
    if not args.bench_db.replace("_", "").isalnum():
        parser.error("--bench-db: letters, digits and underscores only")
    return args


def _timed(label: str, call):
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    print(f"{label:<34} {seconds:8.2f} s   peak {peak_mb():5.0f} MB", flush=True)
    return result


# The history -----------------------------------------------------------------------------


def seed(args):
    from membercard.cards.models import CardProduct
    from membercard.core.models import Location, LocationKind
    from membercard.ledger.accounts import house_account
    from membercard.ledger.models import AccountKind

    hq = Location.objects.create(code="HQ", name="Head office", kind=LocationKind.HQ)
    stores = [
        Location.objects.create(code=f"S{i:02d}", name=f"Store {i}", kind=LocationKind.STORE)
        for i in range(1, args.stores + 1)
    ]
    products = []
    for i in range(PRODUCTS):
        product = CardProduct(
            code=f"bench{i}",
            name=f"Bench card {i}",
            number_prefix=f"77{i}",
            unit_cost_minor=100 + 10 * i,
        )
        product.full_clean()
        product.save()
        products.append(product)
    for store in stores:
        house_account(AccountKind.TENDER, location=store, tender="cash")
        house_account(AccountKind.VALUE_REDEEMED, location=store)
    return hq, stores, products


def load_history(connection, args, hq, stores, products, first_day: dt.date) -> None:
    from django.conf import settings

    tz = settings.TIME_ZONE
    cards, ops, days = args.cards, args.operations, args.days
    params = {
        "stores": [s.pk for s in stores],
        "products": [p.pk for p in products],
        "n_stores": len(stores),
        "n_products": len(products),
        "hq": hq.pk,
        "first": first_day,
        "tz": tz,
        "days": days,
        "cards": cards,
        "sales_window": max(days // 2, 1),
    }
    cur = connection.cursor()

    def run(label: str, sql: str, extra: dict | None = None) -> None:
        _timed(label, lambda: cur.execute(sql, {**params, **(extra or {})}))

    # Cards: every tenth stays in store stock; the others are sold on day 3 + sale_day.
    run(
        "cards",
        """
        INSERT INTO cards_card (number, product_id, state, location_id, sold_at_id, pin_hash,
            pin_failures, chain_head, chain_length, created_at)
        SELECT '9' || lpad(i::text, 15, '0'),
               (%(products)s::int[])[1 + (i / 3) %% %(n_products)s],
               CASE WHEN i %% 10 = 0 THEN 'in_stock' ELSE 'active' END,
               CASE WHEN i %% 10 = 0 THEN (%(stores)s::int[])[1 + (i / 10) %% %(n_stores)s] END,
               CASE WHEN i %% 10 <> 0 THEN (%(stores)s::int[])[1 + (i / 10) %% %(n_stores)s] END,
               '', 0, repeat('0', 64), 0,
               (%(first)s::date + time '12:00') AT TIME ZONE %(tz)s
        FROM generate_series(1, %(cards)s) AS i
        """,
    )
    cur.execute(
        """
        CREATE TEMP TABLE bench_card AS
        SELECT c.id, substr(c.number, 2)::int AS i, c.state, c.product_id,
               (%(stores)s::int[])[1 + (substr(c.number, 2)::int / 10) %% %(n_stores)s]
                   AS store_id,
               ((substr(c.number, 2)::bigint * 7919) %% %(sales_window)s)::int AS sale_day
        FROM cards_card c WHERE c.number LIKE '9%%'
        """,
        params,
    )
    moves = [
        ("''", "'in_stock'", "NULL", "%(hq)s", 0, "batch.received", "TRUE"),
        ("'in_stock'", "'in_transit'", "%(hq)s", "NULL", 1, "handover.dispatched", "TRUE"),
        ("'in_transit'", "'in_stock'", "NULL", "b.store_id", 2, "handover.received", "TRUE"),
        (
            "'in_stock'",
            "'active'",
            "b.store_id",
            "NULL",
            "3 + b.sale_day",
            "card.sold",
            "b.state = 'active'",
        ),
    ]
    for from_s, to_s, from_l, to_l, day, event, where in moves:
        run(
            f"stock movements: {event}",
            f"""
            INSERT INTO inventory_stockmovement (card_id, event, from_state, to_state,
                from_location_id, to_location_id, reason, created_at)
            SELECT b.id, '{event}', {from_s}, {to_s}, {from_l}, {to_l}, '',
                   (%(first)s::date + ({day}) + time '12:00') AT TIME ZONE %(tz)s
            FROM bench_card b WHERE {where}
            """,
        )
    run(
        "card accounts",
        """
        INSERT INTO ledger_account (code, kind, unit, card_id, tender, balance)
        SELECT 'card_principal:' || b.id, 'card_principal', 'money', b.id, '', 0
        FROM bench_card b WHERE b.state = 'active'
        """,
    )
    # Events: one sale per sold card, then purchases and top-ups on later days.
    run(
        "events",
        """
        CREATE TEMP TABLE bench_ev AS
        SELECT b.id AS card_id, b.store_id, 'card_sale'::text AS kind,
               %(first)s::date + 3 + b.sale_day AS business_date, 50000::bigint AS amount
        FROM bench_card b WHERE b.state = 'active'
        UNION ALL
        SELECT b.id, b.store_id,
               CASE WHEN j %% 5 = 0 THEN 'top_up' ELSE 'purchase' END,
               %(first)s::date + 4 + b.sale_day + (j %% (%(days)s - 4 - b.sale_day)),
               CASE WHEN j %% 5 = 0 THEN 20000 ELSE 1000 + (j * 37) %% 2000 END
        FROM generate_series(1, %(rest)s) AS j
        JOIN bench_card b ON b.i = 1 + ((j::bigint * 104729) %% %(cards)s)
                          + CASE WHEN ((j::bigint * 104729) %% %(cards)s + 1) %% 10 = 0
                                 THEN CASE WHEN (j::bigint * 104729) %% %(cards)s + 1
                                                = %(cards)s THEN -1 ELSE 1 END
                                 ELSE 0 END
        """,
        {"rest": ops - int(cards * 0.9)},
    )
    cur.execute("SELECT COALESCE(MAX(id), 0) FROM ledger_operation")
    base = cur.fetchone()[0]
    cur.execute(
        f"""
        CREATE TEMP TABLE bench_op AS
        SELECT {base} + row_number() OVER () AS id, e.*, a.id AS card_account,
               t.id AS tender_account, r.id AS redeemed_account
        FROM bench_ev e
        JOIN ledger_account a ON a.card_id = e.card_id AND a.kind = 'card_principal'
        JOIN ledger_account t ON t.location_id = e.store_id AND t.kind = 'tender'
        JOIN ledger_account r ON r.location_id = e.store_id AND r.kind = 'value_redeemed'
        """
    )
    run(
        "operations",
        """
        INSERT INTO ledger_operation (id, kind, card_id, location_id, created_at,
            business_date, read_as, currency, gross_minor, discount_minor, net_minor,
            paid_other_minor, tender, reason, reference, details)
        SELECT o.id, o.kind, o.card_id, o.store_id,
               (o.business_date + time '12:00') AT TIME ZONE %(tz)s, o.business_date, '',
               'CNY', o.amount, 0, o.amount, 0,
               CASE WHEN o.kind = 'purchase' THEN '' ELSE 'cash' END, '', '', '{}'::jsonb
        FROM bench_op o ORDER BY o.id
        """,
    )
    cur.execute(
        "SELECT setval(pg_get_serial_sequence('ledger_operation', 'id'), "
        "(SELECT MAX(id) FROM ledger_operation))"
    )
    run(
        "transfers",
        """
        INSERT INTO ledger_transfer (operation_id, debit_account_id, credit_account_id, unit,
            amount)
        SELECT o.id,
               CASE WHEN o.kind = 'purchase' THEN o.card_account ELSE o.tender_account END,
               CASE WHEN o.kind = 'purchase' THEN o.redeemed_account ELSE o.card_account END,
               'money', o.amount
        FROM bench_op o ORDER BY o.id
        """,
    )
    run(
        "card balances",
        """
        UPDATE ledger_account a SET balance = s.total
        FROM (SELECT card_account,
                     SUM(CASE WHEN kind = 'purchase' THEN -amount ELSE amount END) AS total
              FROM bench_op GROUP BY card_account) s
        WHERE a.id = s.card_account
        """,
    )
    _timed("analyze", lambda: cur.execute("ANALYZE"))


# The run ---------------------------------------------------------------------------------


def _median(call, times: int) -> tuple[float, object]:
    seconds, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def _balance_sums():
    from django.db.models import Sum

    from membercard.ledger.models import Account

    return list(
        Account.objects.filter(kind__in=("card_principal", "card_bonus"), card__isnull=False)
        .values("card__product")
        .annotate(total=Sum("balance"))
    )


def run(args: argparse.Namespace) -> int:
    connection = setup_django()
    from membercard.core.calendar import today
    from membercard.days.reconciliation import reconciliation_rows
    from membercard.ledger.models import Operation
    from membercard.reports import rollups
    from membercard.reports.sales_inventory import sales_inventory

    print(f"database:    {describe_database(connection, args.bench_db)}")
    print(f"machine:     {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    print(
        f"size:        {args.cards} cards, {args.operations} operations, "
        f"{args.stores} stores, {args.days} days"
    )
    last = today() - dt.timedelta(days=1)
    first = last - dt.timedelta(days=args.days - 1)
    hq, stores, products = seed(args)
    started = time.perf_counter()
    load_history(connection, args, hq, stores, products, first)
    print(
        f"history loaded in {time.perf_counter() - started:.1f} s: "
        f"{Operation.objects.count()} operations"
    )
    _timed("day rollups (all days, once)", rollups.ensure_rollups)

    busy_day = last - dt.timedelta(days=args.days // 3)
    seconds, rows = _median(lambda: reconciliation_rows(busy_day, busy_day, stores[0].code), 5)
    print(
        f"store-day reconciliation:   {seconds * 1000:8.1f} ms  (median of 5; "
        f"{stores[0].code} {busy_day}, {sum(r.operation_count for r in rows)} operations)"
        "   goal < 200 ms"
    )
    year_from = last - dt.timedelta(days=364)
    first_seconds, _report = _median(lambda: sales_inventory(year_from, last), 1)
    print(f"one-year report, first run:   {first_seconds * 1000:8.1f} ms  (stores its checkpoint)")
    seconds, report = _median(lambda: sales_inventory(year_from, last), 3)
    print(
        f"one-year sales-and-inventory: {seconds * 1000:8.1f} ms  (median of 3; "
        f"{year_from} to {last}, {len(report.rows)} rows)   goal < 2 s"
    )
    print(f"ties out:    {'yes' if report.ties_out else 'NO'}")
    for check in report.checks:
        print(f"             {check.label}: {check.found} {'ok' if check.ok else 'DIFFERS'}")
    whole_seconds, whole = _median(lambda: sales_inventory(first, last), 3)
    print(
        f"since opening ({args.days} days): {whole_seconds * 1000:8.1f} ms  (median of 3; "
        f"{first} to {last}, {len(whole.rows)} rows, ties out: {'yes' if whole.ties_out else 'NO'})"
    )
    day_seconds, _day = _median(lambda: sales_inventory(busy_day, busy_day), 3)
    print(f"one-day sales-and-inventory:  {day_seconds * 1000:8.1f} ms  (median of 3)")
    balance_seconds, _sums = _median(_balance_sums, 3)
    print(
        f"  of which card balances sum: {balance_seconds * 1000:8.1f} ms  "
        "(the tie-out's live check, O(cards))"
    )
    print(f"peak memory: {peak_mb():.0f} MB")
    return 0 if report.ties_out else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_in_scratch(args, lambda _data_dir: run(args), prefix="membercard-report-bench-")


if __name__ == "__main__":
    sys.exit(main())
