"""The screens ``make screenshots`` takes, in the order of docs/screenshots/README.md,
and that index page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Shot:
    name: str
    title: str


# In the order of the README list.
SHOTS = (
    Shot("counter", "Counter, waiting for a card (cashier, 10-inch tablet)"),
    Shot("card-panel", "Counter after a swipe: balance, points, tier, the amount field"),
    Shot("purchase-preview", "Purchase preview: discount, from balance, points, balance after"),
    Shot("receipt", "Receipt of the purchase"),
    Shot("handback-receipt", "Receipt of a one-time card handed back: the deposit refunded"),
    Shot("sell", "Selling a card from store stock"),
    Shot("find-cards", "Customer without the card: their cards found by mobile, masked"),
    Shot("counter-zh", "Counter in Chinese (简体中文), a card swiped"),
    Shot("handovers", "Handovers list (store manager)"),
    Shot("handover-sheet", "Handover sheet (the PDF's first page; without pdftoppm the page)"),
    Shot("stock", "HQ card stock"),
    Shot("batches", "Card batches"),
    Shot("cards", "Cards list"),
    Shot("card-detail", "One card: balance, history, actions"),
    Shot("members", "Members list"),
    Shot("gifts", "Gifts list"),
    Shot("business-day", "Business day: totals per tender and kind, closing (store manager)"),
    Shot("reconciliation", "Reconciliation board: stores by day (HQ finance)"),
    Shot("sales-inventory", "Card sales-and-inventory report with its tie-out and chart"),
    Shot("backups", "Backups: the last backup, its size and verify result (HQ admin)"),
    Shot("audit", "Audit log search (HQ admin)"),
    Shot("approvals", "Approvals: what waits for me, and my requests (HQ finance)"),
    Shot("approval", "One request: what will be posted, balance before and after, Approve"),
    Shot("approvals-zh", "Approvals in Chinese (简体中文)"),
    Shot("counter-approvals", "Waiting for approval at the counter: a refund for the manager"),
    Shot("day-reopen", "Asking HQ to reopen a closed business day (store manager)"),
)


def write_index(out: Path, taken: list[Shot]) -> None:
    lines = [
        "# Screenshots",
        "",
        "The main staff screens with the demo data, at 1280x800 (a 10-inch tablet in",
        "landscape). `make screenshots` makes them again from a fresh demo.",
        "",
    ]
    shown = [shot for shot in SHOTS if shot in taken]
    lines += [f"- [{shot.title}](#{shot.name}) ({shot.name}.png)" for shot in shown] + [""]
    for shot in shown:
        lines += [
            f'<a id="{shot.name}"></a>',
            "",
            f"### {shot.title}",
            "",
            f"![{shot.title}]({shot.name}.png)",
            "",
        ]
    (out / "README.md").write_text("\n".join(lines).rstrip() + "\n")
