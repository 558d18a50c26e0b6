"""HQ member pages for HQ admin and finance (a stock keeper has no need of members' data):
the list (searchable, audited as a bulk read), one member, editing a member, and the
audited CSV export."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from membercard.cards.states import CardState
from membercard.core.errors import NotFound
from membercard.core.exports import csv_writer
from membercard.core.http import client_address
from membercard.core.permissions import Action
from membercard.loyalty.admin_selectors import members_for_hq, record_member_listing
from membercard.loyalty.models import Member
from membercard.loyalty.selectors import export_members, member_detail
from membercard.loyalty.services.members import update_member
from membercard.web import access
from membercard.web.access import actor_of
from membercard.web.forms.flows import form_page
from membercard.web.forms.members import FIELDS, MemberForm
from membercard.web.lists import list_page

SORTABLE = ("name", "mobile", "created_at", "registered_at__code")
SEARCH = ("name__icontains", "mobile__endswith", "cards__number")


def _address(request: HttpRequest) -> str:
    return client_address(request)


@access.staff_page(Action.LIST_MEMBERS)
def member_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    members = members_for_hq(actor).distinct()
    listing = list_page(request, members, search=SEARCH, sortable=SORTABLE, default_sort="name")
    record_member_listing(
        actor,
        count=len(listing.rows),
        query=listing.query,
        page=listing.page.number,
        address=_address(request),
    )
    return render(request, "web/members/list.html", {"listing": listing})


@access.staff_page(Action.LIST_MEMBERS)
def member_page(request: HttpRequest, member_id: int) -> HttpResponse:
    member = member_detail(actor=actor_of(request), member_id=member_id)
    notes = Member.objects.filter(pk=member_id).values_list("notes", flat=True).first()
    states = dict(CardState.choices)
    cards = [(line, states.get(line.state, line.state)) for line in member.cards]
    context = {"member": member, "notes": notes, "cards": cards}
    return render(request, "web/members/detail.html", context)


@access.staff_page(Action.REGISTER_MEMBER, at=access.HQ)
def member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = actor_of(request)
    member_detail(actor=actor, member_id=member_id)  # who may look members up, and 404
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        raise NotFound(_("No such member."))
    if request.method == "POST":
        form = MemberForm(request.POST)
    else:
        form = MemberForm(initial={name: getattr(member, name) for name in FIELDS})

    def saved(_member) -> HttpResponse:
        messages.success(request, _("The member was saved."))
        return redirect(reverse("web:member-detail", args=[member.pk]))

    return form_page(
        request,
        form,
        lambda data: update_member(
            actor=actor,
            member_id=member.pk,
            address=_address(request),
            **{name: data[name] for name in FIELDS},
        ),
        done=saved,
        template="web/members/edit.html",
        context={"member": member},
    )


@access.staff_page(Action.EXPORT_MEMBERS)
def member_export(request: HttpRequest) -> HttpResponse:
    rows = export_members(actor=actor_of(request), address=_address(request))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="members-{stamp}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the names as UTF-8
    columns = [
        "id", "name", "mobile", "birthday", "marketing_sms", "marketing_email",
        "registered_at__code", "created_at",
    ]  # fmt: skip
    writer = csv_writer(response)
    writer.writerow([*columns[:6], "registered_at", "created_at"])
    for row in rows:
        writer.writerow([row[column] for column in columns])
    return response
