"""Two workers deriving clicks at the same time count each visitor's click once (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from sharing import clicks
from sharing.links import share_link_get_or_create
from sharing.models import PointEvent, ShareClick, ShareHit
from tests.factories import CampaignFactory, SubmissionFactory

WAIT = 10.0


def _blocked_backends() -> int:
    """Other sessions of this database waiting for a lock right now."""
    with connection.cursor() as cursor:
        # Inside a transaction the statistics views are a snapshot: take a fresh one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _hits(link, visitors: int, per_visitor: int) -> None:
    ShareHit.objects.bulk_create(
        ShareHit(
            link=link,
            visitor=f"{v:064x}",
            method="GET",
            user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        )
        for _ in range(per_visitor)
        for v in range(visitors)
    )


def _run_in_threads(target, names) -> dict[str, object]:
    outcomes: dict[str, object] = {}

    def run(name: str) -> None:
        try:
            outcomes[name] = target(name)
        except Exception as exc:  # reported by the assertion below
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,), name=n) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 3)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_visitor_count_one_click(monkeypatch) -> None:
    campaign = CampaignFactory(points_click=2)
    entry = SubmissionFactory(campaign=campaign)
    link = share_link_get_or_create(submission=entry, owner=entry.author)
    _hits(link, visitors=1, per_visitor=2)  # the same visitor twice, the same day
    first_inserted = threading.Event()
    original = clicks._click_events

    def events_then_hold(counted):
        # The first worker has inserted its click (uncommitted): hold its transaction open
        # until the second worker is queued behind the unique index on the same key.
        if threading.current_thread().name == "first":
            first_inserted.set()
            stop = threading.Event()
            for _ in range(int(WAIT / 0.01)):
                if _blocked_backends():
                    break
                stop.wait(0.01)
        return original(counted)

    monkeypatch.setattr(clicks, "_click_events", events_then_hold)

    def derive(name: str) -> int:
        if name == "second":
            assert first_inserted.wait(WAIT)
        return clicks.clicks_derive(limit=1)

    outcomes = _run_in_threads(derive, ("first", "second"))

    assert outcomes == {"first": 1, "second": 1}  # each took its own hit (SKIP LOCKED)
    assert sorted(ShareHit.objects.values_list("verdict", flat=True)) == ["counted", "repeat"]
    assert ShareClick.objects.count() == 1
    assert PointEvent.objects.filter(participant=entry.author).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_deriving_in_parallel_count_every_click_once() -> None:
    campaign = CampaignFactory(points_click=2)
    entry = SubmissionFactory(campaign=campaign)
    link = share_link_get_or_create(submission=entry, owner=entry.author)
    visitors, per_visitor = 60, 4
    _hits(link, visitors=visitors, per_visitor=per_visitor)
    start = threading.Barrier(3)

    def derive(name: str) -> int:
        start.wait(WAIT)
        total = 0
        while derived := clicks.clicks_derive(limit=7):
            total += derived
        return total

    outcomes = _run_in_threads(derive, ("a", "b", "c"))

    assert all(isinstance(n, int) for n in outcomes.values()), outcomes
    assert sum(outcomes.values()) == visitors * per_visitor  # no hit taken twice
    assert not ShareHit.objects.filter(derived_at__isnull=True).exists()
    assert ShareHit.objects.filter(verdict="counted").count() == visitors
    assert ShareHit.objects.filter(verdict="repeat").count() == visitors * (per_visitor - 1)
    assert ShareClick.objects.count() == visitors
    points = PointEvent.objects.filter(participant=entry.author).aggregate(t=Sum("points"))["t"]
    assert points == visitors * campaign.points_click
