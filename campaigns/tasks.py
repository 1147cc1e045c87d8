from celery import shared_task

from campaigns.services import campaign_phases_sync
from core.tasks import RELIABLE_TASK


@shared_task(**RELIABLE_TASK)
def campaign_phases_sync_task() -> dict[str, list[int]]:
    """Run by beat: perform whatever opening or closing has come due."""
    result = campaign_phases_sync()
    return {"opened": result.opened, "closed": result.closed}


@shared_task(**RELIABLE_TASK)
def winners_notify_task(campaign_id: int) -> int:
    """Email the winners of a campaign who have not been told yet."""
    from campaigns.winners import winners_notify

    return winners_notify(campaign_id=campaign_id)
