"""Workers SIGKILLed under sustained like and share traffic: afterwards the truth is intact.

Two prefork workers consume the test's queue through Redis. Threads like and unlike entries
through the services (each in its own transaction, enqueueing after commit, as a request does)
and follow share links through the redirect; a "beat" thread sends the periodic click
derivation and sweep through the queue, as production's beat does. Meanwhile a worker is killed
with SIGKILL (main and pool processes) several times and a replacement started each time.

After the traffic stops, the messages the killed workers held come back (the broker's
visibility timeout, fast-forwarded) and the periodic tasks run once more through the workers.
Then every counter and score must equal a fresh recount from the facts: like counts, clicks and
reach, the ledger, the standings and the Redis leaderboard, with no duplicate ledger line.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connections, transaction
from django.test import Client

from accounts.models import User
from core.models import FailedTask
from sharing.links import share_link_get_or_create
from sharing.models import PointEvent, ShareHit
from sharing.tasks import (
    clicks_derive_task,
    engagement_sweep_task,
    leaderboards_rebuild_task,
    submission_points_sync_task,
)
from submissions.likes import like_create, like_remove
from submissions.models import Like, Submission
from tests.factories import CampaignFactory, SubmissionFactory, UserFactory
from tests.resilience.profile import scale
from tests.resilience.recount import leaderboard_keys_drop, mismatches
from tests.resilience.worker_tasks import clicks_derive_dies_once_task
from tests.resilience.workers import WorkerFleet, broker, wait_for, worker_fleet

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

DURATION = scale(10, 150)  # seconds of traffic
KILLS = scale(3, 12)
THREADS = scale(4, 6)
# Sustained, not a flood: each like thread and each visiting thread keeps to a steady rate.
LIKES_PER_SECOND = scale(12, 20)
VISITS_PER_SECOND = scale(30, 60)
WORKERS = 2
CAMPAIGNS = 2
ENTRIES_PER_CAMPAIGN = scale(3, 5)
FANS = scale(24, 60)
VISITOR_ADDRESSES = scale(60, 400)
CONVERGE_TIMEOUT = scale(90, 240)
BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)


class _Pace:
    """Spaces a thread's operations to `rate` a second."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()

    def wait(self, stop: threading.Event) -> None:
        self.next += self.interval
        stop.wait(max(0.0, self.next - time.monotonic()))


class Traffic:
    """Several threads of likes, unlikes and share-link visits until `stop` is set."""

    def __init__(self, *, entries: list[Submission], fans: list[User], codes: list[str]) -> None:
        self.entries = entries
        self.fans = fans
        self.codes = codes
        self.stop = threading.Event()
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def _likes(self, fans: list[User], seed: int) -> None:
        rng = random.Random(seed)
        liked: set[tuple[int, int]] = set()
        pace = _Pace(LIKES_PER_SECOND)
        while not self.stop.is_set():
            pace.wait(self.stop)
            fan, entry = rng.choice(fans), rng.choice(self.entries)
            pair = (fan.pk, entry.pk)
            with transaction.atomic():
                if pair in liked:
                    assert like_remove(user=fan, submission=entry) is not None
                    liked.discard(pair)
                    what = "unlikes"
                else:
                    like_create(user=fan, submission=entry)
                    liked.add(pair)
                    what = "likes"
            self._count(what)

    def _visits(self, seed: int) -> None:
        rng = random.Random(seed)
        client = Client()
        pace = _Pace(VISITS_PER_SECOND)
        while not self.stop.is_set():
            pace.wait(self.stop)
            n = rng.randrange(VISITOR_ADDRESSES)
            address = f"10.{seed}.{n // 250}.{n % 250}"
            response = client.get(
                f"/s/{rng.choice(self.codes)}", REMOTE_ADDR=address, HTTP_USER_AGENT=BROWSER
            )
            if response.status_code != 302:
                with self._lock:
                    self.errors.append(f"share redirect answered {response.status_code}")
            self._count("share_hits")

    def _guarded(self, target: Callable[..., None], *args: object) -> None:
        try:
            target(*args)
        except Exception as exc:  # a failing thread must fail the test, not vanish
            with self._lock:
                self.errors.append(repr(exc))
        finally:
            connections.close_all()

    def start(self, threads: int) -> list[threading.Thread]:
        started = []
        for i in range(threads):
            if i % 2 == 0:
                target, args = self._likes, (self.fans[i // 2 :: (threads + 1) // 2], i)
            else:
                target, args = self._visits, (i,)
            thread = threading.Thread(target=self._guarded, args=(target, *args), daemon=True)
            thread.start()
            started.append(thread)
        return started


def _beat(fleet: WorkerFleet, stop: threading.Event, sent: Counter[str]) -> None:
    """Production's beat, faster: clicks every second, the sweep every three."""
    tick = 0
    while not stop.wait(1.0):
        fleet.send(clicks_derive_task)
        sent["clicks_derive"] += 1
        if tick % 3 == 0:
            fleet.send(engagement_sweep_task)
            sent["sweep"] += 1
        tick += 1


def test_workers_killed_under_traffic_lose_nothing(resilience_report) -> None:
    campaigns = [CampaignFactory() for _ in range(CAMPAIGNS)]
    leaderboard_keys_drop([c.pk for c in campaigns])
    entries = [
        Submission.objects.select_related("campaign").get(pk=SubmissionFactory(campaign=c).pk)
        for c in campaigns
        for _ in range(ENTRIES_PER_CAMPAIGN)
    ]
    codes = [share_link_get_or_create(submission=e, owner=e.author).code for e in entries]
    fans = UserFactory.create_batch(FANS)

    with worker_fleet(WORKERS, concurrency=2) as fleet:
        traffic = Traffic(entries=entries, fans=fans, codes=codes)
        beat_stop, beats = threading.Event(), Counter()
        beat = threading.Thread(target=_beat, args=(fleet, beat_stop, beats), daemon=True)
        threads = traffic.start(THREADS)
        beat.start()
        started = time.monotonic()
        rng = random.Random(5)
        for k in range(KILLS):
            # Kill at evenly spaced moments of the traffic, a random live worker each time.
            moment = started + DURATION * (k + 1) / (KILLS + 1)
            while time.monotonic() < moment:
                time.sleep(0.05)
            victim = rng.choice(fleet.ready() or fleet.live)
            fleet.kill(victim)
            fleet.start(1, wait=False)  # the supervisor's replacement
            # And the out-of-memory killer's usual target: one pool process of a survivor.
            survivors = [w for w in fleet.ready() if w is not victim]
            if survivors:
                fleet.kill_pool_process(rng.choice(survivors))
        while time.monotonic() < started + DURATION:
            time.sleep(0.05)
        traffic.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        beat_stop.set()
        beat.join(timeout=10)
        stopped = time.monotonic()
        assert traffic.errors == []
        for worker in fleet.live:
            worker.wait_ready()

        # The messages the killed workers had taken come back after the visibility timeout.
        wait_for(lambda: fleet.waiting() == 0, timeout=CONVERGE_TIMEOUT, what="the queue")
        redelivered = fleet.restore_unacked()
        # Production's beat, once more, through the workers.
        fleet.run(clicks_derive_task)
        fleet.run(engagement_sweep_task)
        fleet.run(leaderboards_rebuild_task)
        campaign_ids = [c.pk for c in campaigns]
        wait_for(
            lambda: fleet.idle() and not mismatches(campaign_ids),
            timeout=CONVERGE_TIMEOUT,
            interval=0.5,
            what="the derived state to equal the recount",
        )
        converged = time.monotonic() - stopped
        runs = fleet.runs()
        log = fleet.log

    wrong = mismatches(campaign_ids)
    assert wrong == [], "\n".join(wrong) + "\n" + log[-20000:]
    assert fleet.kills == KILLS
    likes = Like.objects.filter(submission__campaign_id__in=campaign_ids)
    assert likes.count() == traffic.counts["likes"]
    assert likes.filter(removed_at__isnull=False).count() == traffic.counts["unlikes"]
    assert ShareHit.objects.count() == traffic.counts["share_hits"]
    keys = list(PointEvent.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys))
    resilience_report(
        scenario="Workers SIGKILLed under like and share traffic",
        load=(
            f"{DURATION} s, {THREADS} threads: {traffic.counts['likes']} likes, "
            f"{traffic.counts['unlikes']} unlikes, {traffic.counts['share_hits']} share hits"
        ),
        faults=(
            f"{fleet.kills} SIGKILLs of a whole worker ({WORKERS} running), each replaced; "
            f"{fleet.pool_kills} SIGKILLs of a pool process"
        ),
        result="counts, clicks, reach, ledger, standings, Redis equal the recount",
        lost=len(wrong),
        requests=sum(traffic.counts.values()),
        tasks_run=len(runs),
        redelivered=redelivered,
        failed_tasks=FailedTask.objects.count(),
        traffic_seconds=round(stopped - started, 1),
        seconds_to_converge=round(converged, 1),
    )


def test_a_worker_killed_in_the_middle_of_deriving_clicks_loses_no_click_points_or_reach(
    resilience_report,
) -> None:
    campaign = CampaignFactory()
    leaderboard_keys_drop([campaign.pk])
    entry = SubmissionFactory(campaign=campaign)
    code = share_link_get_or_create(submission=entry, owner=entry.author).code
    client = Client()
    visitors = scale(20, 200)
    for n in range(visitors):
        response = client.get(f"/s/{code}", REMOTE_ADDR=f"10.9.0.{n}", HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 302
    flag = f"resilience:dies-once:{campaign.pk}:{time.time_ns()}"

    with worker_fleet(1, concurrency=1) as fleet:
        fleet.run(submission_points_sync_task, entry.pk)  # the entry's own points
        # The first run dies mid-derivation; the message comes back (reject_on_worker_lost)
        # and its second run, in a new pool process, finishes.
        fleet.run(clicks_derive_dies_once_task, flag)
        wait_for(fleet.idle, timeout=CONVERGE_TIMEOUT, what="the redelivered run")
        runs = [r for r in fleet.runs() if r[0] == clicks_derive_dies_once_task.name]
        log = fleet.log
    broker().delete(flag)

    assert len(runs) == 2, log
    wrong = mismatches([campaign.pk])
    assert wrong == [], "\n".join(wrong)
    resilience_report(
        scenario="Worker killed in the middle of deriving share clicks",
        load=f"{visitors} share-link visitors",
        faults="SIGKILL of the pool process after the batch's verdicts, before the standings",
        result="redelivered; clicks, points, standings, reach and Redis equal the recount",
        lost=len(wrong),
    )
