from celery import shared_task

from campaigns.services import campaign_phases_sync
from core.tasks import RELIABLE_TASK


@shared_task(**RELIABLE_TASK)
def campaign_phases_sync_task() -> dict[str, list[int]]:
    """Run by beat: perform whatever opening or closing has come due."""
    result = campaign_phases_sync()
    return {"opened": result.opened, "closed": result.closed}
