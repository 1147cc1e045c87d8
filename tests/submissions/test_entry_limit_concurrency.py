"""The entry limit holds when the same person submits twice at the same moment (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from core.exceptions import ApplicationError
from submissions import services
from submissions.models import Submission
from tests.factories import CampaignFactory, UserFactory

WAIT = 10.0


def _blocked_backends() -> int:
    """Other sessions of this database waiting for a lock right now."""
    with connection.cursor() as cursor:
        # Inside a transaction the statistics views are a snapshot: take a fresh one each time.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_cannot_both_pass_the_limit(monkeypatch) -> None:
    campaign = CampaignFactory(max_entries_per_participant=1)
    author = UserFactory()
    first_counted = threading.Event()
    original = services._check_entry_limit

    def check_then_hold(*, campaign, author) -> None:
        original(campaign=campaign, author=author)
        if threading.current_thread().name != "first":
            return
        # Hold the lock (the transaction is still open) until the second submission is
        # queued behind it, so both really overlap; without the lock it would not queue,
        # and the wait would end with both entries counted as the first.
        first_counted.set()
        stop = threading.Event()
        for _ in range(int(WAIT / 0.01)):
            if _blocked_backends():
                break
            stop.wait(0.01)

    monkeypatch.setattr(services, "_check_entry_limit", check_then_hold)
    outcomes: dict[str, object] = {}

    def submit(name: str) -> None:
        try:
            if name == "second":
                assert first_counted.wait(WAIT)
            services.submission_create(
                campaign=campaign, author=author, kind="text", text=f"From {name}"
            )
            outcomes[name] = "created"
        except ApplicationError as exc:
            outcomes[name] = exc.code
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=submit, args=(name,), name=name) for name in ("first", "second")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)

    assert outcomes == {"first": "created", "second": "entry_limit"}
    assert Submission.objects.filter(campaign=campaign, author=author).count() == 1
