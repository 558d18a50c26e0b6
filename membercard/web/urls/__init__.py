"""Staff page addresses, namespace ``web``. Each area keeps its own list."""

from django.urls import include, path

from membercard.web.urls import (
    approvals,
    audit,
    backoffice,
    backups,
    counter,
    days,
    loyalty,
    reports,
    stock,
)

app_name = "web"

urlpatterns = [
    path("counter/", include(counter.urlpatterns)),
    path("days/", include(days.urlpatterns)),
    path("stock/", include(stock.urlpatterns)),
    path("hq/", include(backoffice.urlpatterns)),
    path("hq/", include(loyalty.urlpatterns)),
    path("reports/", include(reports.urlpatterns)),
    path("hq/audit/", include(audit.urlpatterns)),
    path("hq/backups/", include(backups.urlpatterns)),
    path("", include(approvals.urlpatterns)),
]
