"""Staff pages. The counter screen and back office grow here (see the web app issue)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from membercard.web import selectors


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "web/start.html", {"stats": selectors.start_page_figures()})


def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and scripts: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
