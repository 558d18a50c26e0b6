"""Template context every staff page gets: the menu, the signed-in staff's place and role."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from membercard.core.money import currency
from membercard.web.navigation import menu_for


def staff(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    context: dict = {"CURRENCY": currency(), "LANGUAGES": settings.LANGUAGES}
    if user is not None and user.is_authenticated and user.role and user.location_id:
        context["menu"] = menu_for(user.role, staff=user)
        context["staff_location"] = user.location
        context["staff_role_label"] = user.get_role_display()
    return context
