"""The audit log's model moved down to ``membercard.core.models`` (so services and every
face can write it inside the action's transaction); the table keeps its ``ops_auditevent``
name. Kept here for the code above core that reads it.

``JobRun`` is ops' own: one row per run of a scheduled daily job (``ops.jobs``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from membercard.core.models import AuditEvent, AuditKind

__all__ = ["AuditEvent", "AuditKind", "Job", "JobRun"]


class Job(models.TextChoices):
    BACKUP = "backup", _("Backup")
    EXPIRE_POINTS = "expire_points", _("Points expiry")
    REVIEW_TIERS = "review_tiers", _("Tier review")


class JobRun(models.Model):
    """One run of a daily job by the scheduler: for which business date, when, whether it
    succeeded, what it did (``details``: figures, shown in words by ``ops.jobs``) or the
    error that stopped it. A job is due for a date until a run of it succeeded."""

    job = models.CharField(_("job"), max_length=16, choices=Job.choices)
    run_on = models.DateField(_("business date"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    ok = models.BooleanField(_("succeeded"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True, default="")

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["job", "run_on"], name="jobrun_job_date")]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")

    def __str__(self) -> str:
        return f"{self.job} {self.run_on} {'ok' if self.ok else 'failed'}"
