"""HQ's "Look-up misses" page: which terminal keys and staff members asked for cards that do
not exist (or are not theirs to see), where, how often, and from which address.

Card numbers can only be guessed by asking; the one look-up throttle (``cards/lookups.py``)
slows a guesser down and counts every miss, and this page is where HQ sees who keeps
missing. Rows at or past ``MEMBERCARD_LOOKUP_MISS_ALERT`` misses a day are flagged, and the
same rows raise the alert on HQ's home page (``views/home.py``). HQ admin only: the people
who can revoke a key or deactivate a staff member.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from membercard.cards.lookups import lookup_misses as misses_since
from membercard.core.permissions import Action
from membercard.web import access

# More rows than a week of a whole chain's misses should ever hold; the page never grows
# without bound.
MAX_ROWS = 500


@require_GET
@access.staff_page(Action.VIEW_LOOKUP_MISSES)
def lookup_misses(request: HttpRequest) -> HttpResponse:
    """The last 7 days' misses per key or staff member and day, most first."""
    rows = list(misses_since()[:MAX_ROWS])
    threshold = settings.MEMBERCARD_LOOKUP_MISS_ALERT
    for row in rows:
        row.flagged = row.misses >= threshold
    return render(request, "web/lookups/misses.html", {"rows": rows, "threshold": threshold})
