"""Celery tasks of entries: ids in, a service out (see docs/reliability.md)."""

from celery import shared_task

from core.tasks import RELIABLE_TASK
from submissions.images import submission_thumbnails_make
from submissions.services import submission_decision_email_send, submissions_sweep


@shared_task(**RELIABLE_TASK)
def submission_thumbnails_task(submission_id: int) -> None:
    """Make an entry's thumbnails; an entry that is gone (rolled back, deleted) is no error."""
    submission_thumbnails_make(submission_id=submission_id)


@shared_task(**RELIABLE_TASK)
def submission_decision_email_task(decision_id: int) -> None:
    """Tell an entry's author about a moderator's decision, in their language."""
    submission_decision_email_send(decision_id=decision_id)


@shared_task(**RELIABLE_TASK)
def submissions_sweep_task() -> dict[str, int]:
    """Run by beat: thumbnails and decision emails whose task never ran."""
    return submissions_sweep()
