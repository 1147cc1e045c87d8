"""A campaign's phase follows from its dates to the second; its side effects happen once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import campaign_create, campaign_phases_sync
from campaigns.tasks import campaign_phases_sync_task
from core.exceptions import ApplicationError
from tests.factories import BrandFactory, CampaignFactory

pytestmark = pytest.mark.django_db

Phase = Campaign.Phase
START = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Europe moves its clocks forward
END = datetime(2026, 4, 12, 18, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _campaign(**fields: object) -> Campaign:
    return CampaignFactory.build(starts_at=START, ends_at=END, **fields)


@pytest.mark.parametrize(
    ("moment", "phase"),
    [
        (START - timedelta(days=30), Phase.SCHEDULED),
        (START - SECOND, Phase.SCHEDULED),
        (START - timedelta(microseconds=1), Phase.SCHEDULED),
        (START, Phase.OPEN),  # the start is inclusive
        (START + SECOND, Phase.OPEN),
        (END - SECOND, Phase.OPEN),
        (END - timedelta(microseconds=1), Phase.OPEN),
        (END, Phase.CLOSED),  # the end is exclusive
        (END + SECOND, Phase.CLOSED),
        (END + timedelta(days=365), Phase.CLOSED),
    ],
)
def test_phase_of_a_published_campaign_at_the_boundaries(moment: datetime, phase: str) -> None:
    assert _campaign().phase_at(moment) == phase


@pytest.mark.parametrize("moment", [START - SECOND, START, END - SECOND, END])
def test_draft_is_a_draft_whatever_the_date(moment: datetime) -> None:
    assert _campaign(status=Campaign.Status.DRAFT).phase_at(moment) == Phase.DRAFT


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/Rome", "Pacific/Kiritimati", "America/Los_Angeles", "Asia/Kathmandu"]
)
@pytest.mark.parametrize(
    ("offset", "phase"),
    [(-SECOND, Phase.SCHEDULED), (timedelta(0), Phase.OPEN), (END - START, Phase.CLOSED)],
)
def test_phase_does_not_depend_on_the_active_time_zone(
    zone: str, offset: timedelta, phase: str
) -> None:
    campaign = _campaign()
    # The same instant written in the local time of that zone.
    moment = (START + offset).astimezone(ZoneInfo(zone))

    with timezone.override(zone):
        assert campaign.phase_at(moment) == phase
        assert campaign.phase_at(START + offset) == phase


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "America/Los_Angeles"])
def test_open_campaign_query_does_not_depend_on_the_active_time_zone(zone: str) -> None:
    campaign = CampaignFactory(starts_at=START, ends_at=END)

    with timezone.override(zone):
        assert list(Campaign.objects.open_at(START)) == [campaign]
        assert list(Campaign.objects.open_at(START - SECOND)) == []
        assert list(Campaign.objects.open_at(END - SECOND)) == [campaign]
        assert list(Campaign.objects.open_at(END)) == []


def test_phase_property_uses_the_current_time() -> None:
    now = timezone.now()
    assert CampaignFactory.build(
        starts_at=now - SECOND, ends_at=now + timedelta(hours=1)
    ).phase == (Phase.OPEN)
    assert CampaignFactory.build(starts_at=now + timedelta(hours=1)).phase == Phase.SCHEDULED


# --- Side effects: performed once ------------------------------------------------------------


def _state(campaign: Campaign) -> tuple[datetime | None, datetime | None]:
    campaign.refresh_from_db()
    return campaign.opened_at, campaign.closed_at


def test_sync_before_the_start_does_nothing() -> None:
    campaign = CampaignFactory(starts_at=START, ends_at=END)

    result = campaign_phases_sync(now=START - SECOND)

    assert result.opened == []
    assert result.closed == []
    assert _state(campaign) == (None, None)


def test_sync_at_the_start_opens_once() -> None:
    campaign = CampaignFactory(starts_at=START, ends_at=END)

    first = campaign_phases_sync(now=START)
    second = campaign_phases_sync(now=START + SECOND)

    assert first.opened == [campaign.pk]
    assert first.closed == []
    assert second.opened == []
    assert _state(campaign) == (START, None)


def test_sync_at_the_end_closes_once_and_keeps_the_opening_time() -> None:
    campaign = CampaignFactory(starts_at=START, ends_at=END)
    campaign_phases_sync(now=START + SECOND)

    assert campaign_phases_sync(now=END - SECOND).closed == []
    first = campaign_phases_sync(now=END)
    second = campaign_phases_sync(now=END + timedelta(hours=1))

    assert first.closed == [campaign.pk]
    assert first.opened == []
    assert second.opened == second.closed == []
    assert _state(campaign) == (START + SECOND, END)


def test_sync_after_a_missed_window_opens_and_closes_in_one_run() -> None:
    campaign = CampaignFactory(starts_at=START, ends_at=END)
    late = END + timedelta(days=2)

    result = campaign_phases_sync(now=late)

    assert result.opened == [campaign.pk]
    assert result.closed == [campaign.pk]
    assert _state(campaign) == (late, late)


def test_sync_twice_changes_nothing_the_second_time() -> None:
    campaigns = [
        CampaignFactory(starts_at=START, ends_at=END),
        CampaignFactory(starts_at=START - timedelta(days=30), ends_at=START - SECOND),
        CampaignFactory(starts_at=START + timedelta(days=1), ends_at=END),
    ]
    campaign_phases_sync(now=START)
    before = [(_state(c), c.updated_at) for c in campaigns]

    result = campaign_phases_sync(now=START)

    assert result.opened == result.closed == []
    assert [(_state(c), c.updated_at) for c in campaigns] == before


def test_sync_ignores_drafts() -> None:
    draft = CampaignFactory(starts_at=START, ends_at=END, status=Campaign.Status.DRAFT)

    result = campaign_phases_sync(now=END + SECOND)

    assert result.opened == result.closed == []
    assert _state(draft) == (None, None)


def test_sync_of_a_draft_published_later_opens_it_then() -> None:
    campaign = CampaignFactory(starts_at=START, ends_at=END, status=Campaign.Status.DRAFT)
    campaign_phases_sync(now=START + SECOND)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PUBLISHED)

    result = campaign_phases_sync(now=START + 2 * SECOND)

    assert result.opened == [campaign.pk]
    assert _state(campaign) == (START + 2 * SECOND, None)


def test_sync_without_a_time_uses_now() -> None:
    now = timezone.now()
    campaign = CampaignFactory(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))

    result = campaign_phases_sync()

    assert result.opened == [campaign.pk]
    opened_at, closed_at = _state(campaign)
    assert opened_at is not None
    assert now <= opened_at <= timezone.now()
    assert closed_at is None


def test_celery_task_runs_the_sync() -> None:
    now = timezone.now()
    opening = CampaignFactory(starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    closing = CampaignFactory(starts_at=now - timedelta(days=2), ends_at=now - timedelta(hours=1))

    result = campaign_phases_sync_task.delay().get()

    assert sorted(result["opened"]) == sorted([opening.pk, closing.pk])
    assert result["closed"] == [closing.pk]
    assert _state(opening)[0] is not None
    assert all(_state(closing))
    assert campaign_phases_sync_task.delay().get() == {"opened": [], "closed": []}


def test_celery_task_is_scheduled_by_beat(settings) -> None:
    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert campaign_phases_sync_task.name in entries


# --- Dates must make sense -------------------------------------------------------------------


@pytest.mark.parametrize("ends_at", [START, START - SECOND, START - timedelta(days=1)])
def test_database_refuses_an_end_not_after_the_start(ends_at: datetime) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(starts_at=START, ends_at=ends_at)

    assert not Campaign.objects.exists()


def test_database_refuses_moving_the_end_before_the_start() -> None:
    campaign = CampaignFactory(starts_at=START, ends_at=END)

    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(ends_at=START - SECOND)


def test_database_accepts_an_end_one_second_after_the_start() -> None:
    campaign = CampaignFactory(starts_at=START, ends_at=START + SECOND)

    assert campaign.pk


@pytest.mark.parametrize("ends_at", [START, START - SECOND])
def test_campaign_create_refuses_an_end_not_after_the_start(ends_at: datetime) -> None:
    brand = BrandFactory()

    with pytest.raises(ApplicationError) as excinfo:
        campaign_create(
            brand=brand, title="Spring", slug="spring", starts_at=START, ends_at=ends_at
        )

    assert "ends_at" in excinfo.value.fields
    assert str(excinfo.value.message) == "The end must come after the start."
    assert not Campaign.objects.exists()


def test_campaign_create_makes_a_draft_unless_published() -> None:
    brand = BrandFactory()

    draft = campaign_create(brand=brand, title="A", slug="a", starts_at=START, ends_at=END)
    live = campaign_create(
        brand=brand, title="B", slug="b", starts_at=START, ends_at=END, publish=True
    )

    assert draft.status == Campaign.Status.DRAFT
    assert live.status == Campaign.Status.PUBLISHED
    assert draft.phase_at(START) == Phase.DRAFT
    assert live.phase_at(START) == Phase.OPEN


def test_campaign_create_accepts_dates_in_any_time_zone() -> None:
    rome = ZoneInfo("Europe/Rome")
    starts = datetime(2026, 3, 29, 2, 30, tzinfo=UTC).astimezone(rome)
    ends = starts + timedelta(days=7)

    campaign = campaign_create(
        brand=BrandFactory(), title="A", slug="a", starts_at=starts, ends_at=ends, publish=True
    )

    campaign.refresh_from_db()
    assert campaign.starts_at == starts
    assert campaign.phase_at(starts - SECOND) == Phase.SCHEDULED
    assert campaign.phase_at(starts) == Phase.OPEN


def test_check_constraint_message_is_shown_by_validation() -> None:
    campaign = CampaignFactory.build(brand=BrandFactory(), starts_at=START, ends_at=START)

    with pytest.raises(ValidationError, match="The end must come after the start"):
        campaign.full_clean()
