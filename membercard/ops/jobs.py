"""The daily jobs the scheduler runs by itself, beside the backup: points expiry and the
tier review. Nobody has to set up cron for points to expire or tiers to drop.

Each job runs once per business date (``core.calendar``: the date turns at the cut-off
hour, so the run for date D happens as D begins), as the system actor at HQ, and each is
idempotent: the services find nothing left to do a second time (``operations.expiry``,
``loyalty.services.tiers``), and the scheduler does not even start a job again once a run
of it succeeded for the date. Every run leaves a ``JobRun`` row (when, ok or failed, what
it did or its error) that the backups page shows, and, when it changed anything, an audit
row (kind ``cli``, ``scheduler <job>``) inside its first business operation. A job that
fails is recorded as failed and does not stop the others; it is tried again after
``RETRY_AFTER``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from membercard.core.actors import system_actor
from membercard.core.audit import PendingAudit, audit_inside, cli_fields
from membercard.core.calendar import business_date_for
from membercard.core.models import AuditKind
from membercard.loyalty.services import review_tiers
from membercard.operations.expiry import expire_points
from membercard.ops.models import Job, JobRun

log = logging.getLogger("membercard.jobs")

RETRY_AFTER = dt.timedelta(minutes=15)
MAX_ERROR = 2_000


@dataclass(frozen=True)
class DailyJob:
    job: Job
    #: Does the job's work for a business date; answers its figures (``JobRun.details``).
    work: Callable[[dt.date], dict[str, Any]]


def _expire_points(on: dt.date) -> dict[str, Any]:
    run = expire_points(actor=system_actor(), on=on)
    return {"points": run.points, "cards": len(run.operations)}


def _review_tiers(on: dt.date) -> dict[str, Any]:
    reviews = review_tiers(actor=system_actor(), on=on)
    return {
        "products": [
            {
                "product": review.product.code,
                "reviewed": review.cards_reviewed,
                "downgraded": review.cards_downgraded,
            }
            for review in reviews
        ]
    }


DAILY_JOBS: tuple[DailyJob, ...] = (
    DailyJob(Job.EXPIRE_POINTS, _expire_points),
    DailyJob(Job.REVIEW_TIERS, _review_tiers),
)


def is_due(job: Job, on: dt.date, now: dt.datetime) -> bool:
    """No run of ``job`` succeeded for ``on``, and none failed within ``RETRY_AFTER``."""
    runs = JobRun.objects.filter(job=job, run_on=on)
    if runs.filter(ok=True).exists():
        return False
    return not runs.filter(ok=False, finished_at__gt=now - RETRY_AFTER).exists()


def _record(job: Job, on: dt.date, started: dt.datetime, **fields: Any) -> JobRun:
    return JobRun.objects.create(
        job=job, run_on=on, started_at=started, finished_at=timezone.now(), **fields
    )


def record_backup(
    *, started: dt.datetime, details: dict | None = None, error: str = ""
) -> JobRun | None:
    """The scheduler's backup, as a job run (the backup's own record is its manifest)."""
    try:
        on = business_date_for(started)
        return _record(Job.BACKUP, on, started, ok=not error, details=details or {}, error=error)
    except Exception:  # the database may be what failed: the log keeps it
        log.exception("could not record the scheduled backup's run")
        return None


def run_job(daily: DailyJob, *, on: dt.date) -> JobRun:
    """Run one job for business date ``on`` and record how it went (never raises for the
    job's own failure: that is recorded)."""
    started = timezone.now()
    what = f"scheduler {daily.job.value}"
    pending = PendingAudit(
        describe=lambda: {"kind": AuditKind.CLI, **cli_fields(what, [f"--date={on}"])}
    )
    try:
        with audit_inside(pending):
            details = daily.work(on)
    except Exception as error:
        log.exception("scheduled job %s for %s failed", daily.job.value, on)
        message = f"{type(error).__name__}: {error}"[:MAX_ERROR]
        _audit_after(pending, outcome="failed", error=message[:200])
        return _record(daily.job, on, started, ok=False, error=message)
    _audit_after(pending, outcome="no changes")
    run = _record(daily.job, on, started, ok=True, details=details)
    log.info("scheduled job %s for %s: %s", daily.job.value, on, describe(run))
    return run


def _audit_after(pending: PendingAudit, **details: Any) -> None:
    try:
        pending.write_after(**details)
    except Exception:
        log.exception("could not write the audit row of a scheduled job")


def run_due_jobs(
    now: dt.datetime | None = None, jobs: tuple[DailyJob, ...] = DAILY_JOBS
) -> list[JobRun]:
    """Run every job due at ``now`` (see ``is_due``), each on its own: one failing does
    not stop the next."""
    now = now or timezone.now()
    on = business_date_for(now)
    runs = []
    for daily in jobs:
        try:
            if is_due(daily.job, on, now):
                runs.append(run_job(daily, on=on))
        except Exception:  # recording failed (the database is away): try again later
            log.exception("scheduled job %s could not run", daily.job.value)
    return runs


def describe(run: JobRun) -> str:
    """What the run did, in the merchant's words."""
    if not run.ok:
        return run.error
    details = run.details or {}
    if run.job == Job.EXPIRE_POINTS:
        cards = details.get("cards", 0)
        return ngettext(
            "expired %(points)s points on %(cards)s card",
            "expired %(points)s points on %(cards)s cards",
            cards,
        ) % {"points": f"{details.get('points', 0):,}", "cards": f"{cards:,}"}
    if run.job == Job.REVIEW_TIERS:
        products = details.get("products") or []
        if not products:
            return _("no review due")
        return "; ".join(
            _("%(product)s: %(down)s of %(reviewed)s cards moved down")
            % {"product": p["product"], "down": p["downgraded"], "reviewed": p["reviewed"]}
            for p in products
        )
    if run.job == Job.BACKUP:
        return _("%(file)s, verify: %(verify)s") % {
            "file": details.get("file", ""),
            "verify": details.get("verify", ""),
        }
    return ""


@dataclass(frozen=True)
class JobStatus:
    job: Job
    last: JobRun | None

    @property
    def summary(self) -> str:
        return describe(self.last) if self.last else ""


def job_statuses() -> list[JobStatus]:
    """Each daily job with its last run (the backups page)."""
    statuses = []
    for job in (Job.BACKUP, *(daily.job for daily in DAILY_JOBS)):
        statuses.append(JobStatus(job=job, last=JobRun.objects.filter(job=job).first()))
    return statuses
