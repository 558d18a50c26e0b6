"""The back office's backups and jobs page: the last backup, its size and verify, the kept
list, "Back up now" (HQ admin only), and each daily job's last run (``ops.jobs``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from membercard.core.permissions import Action
from membercard.ops import jobs
from membercard.ops.backups import selectors, services
from membercard.web import access
from membercard.web.lists import ListPage


@require_GET
@access.staff_page(Action.MAKE_BACKUP)
def status(request: HttpRequest) -> HttpResponse:
    state = selectors.backup_status()
    page = Paginator(state.backups, 25).get_page(request.GET.get("page"))
    listing = ListPage(page=page, query="", sort="", sortable=())
    context = {"state": state, "listing": listing, "jobs": jobs.job_statuses()}
    return render(request, "web/backups/status.html", context)


@require_POST
@access.staff_page(Action.MAKE_BACKUP)
def back_up_now(request: HttpRequest) -> HttpResponse:
    record = services.back_up_now(actor=access.actor_of(request))
    if record.verify_failed:
        messages.error(
            request, _("Backup %(file)s was made, but its verify FAILED.") % {"file": record.file}
        )
    else:
        messages.success(request, _("Backup %(file)s was made.") % {"file": record.file})
    return redirect("web:backups")
