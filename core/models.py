from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """Every table records when a row was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class FailedTask(BaseModel):
    """A Celery task that gave up: every retry failed, it ran out of time, or it kept killing
    its worker. One row per task id, written by `core.tasks` when the task stops for good;
    `created_at` is when it first gave up, `last_failed_at` the latest time."""

    class Reason(models.TextChoices):
        ERROR = "error", _("raised an error on every attempt")
        TIME_LIMIT = "time_limit", _("exceeded its time limit")
        WORKER_LOST = "worker_lost", _("its worker died on every delivery")

    task_id = models.CharField(_("task id"), max_length=255, unique=True)
    task_name = models.CharField(_("task"), max_length=255, db_index=True)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    exception = models.TextField(_("exception"))
    traceback = models.TextField(_("traceback"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    last_failed_at = models.DateTimeField(_("last failed at"))
    retried_at = models.DateTimeField(_("sent again at"), null=True, blank=True)

    class Meta:
        ordering = ["-last_failed_at"]
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")

    def __str__(self) -> str:
        return f"{self.task_name}[{self.task_id}]"
