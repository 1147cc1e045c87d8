"""Redis killed (SIGKILL) and started again in the middle of a like storm.

gunicorn and a real Celery worker use a private redis-server (broker, cache and leaderboard) on a
port of this file's own. While likes (each sent twice) and page reads go on, Redis is killed,
stays away for a few seconds and comes back empty on the same port. PostgreSQL is the truth:

- every like answered 200/201 has its row; a like is never a 500, never hangs (a 503 would be
  acceptable, but the like is one insert, so it succeeds);
- pages and the leaderboard (page and API) answer 200 from the database throughout;
- the worker reconnects by itself, and the Redis leaderboard equals a recount of the like rows
  within 60 seconds of Redis returning, with no manual rebuild: readers find the campaign's keys
  missing (no `ready` marker) and ask a worker to repair and rebuild them. The likes of the
  outage could not enqueue their derivation; after Redis returns, likes go on for half of the
  entries only, so the other half's outage likes are derived by that repair alone.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from rest_framework.authtoken.models import Token

from sharing import leaderboard
from sharing.models import Standing
from submissions.models import Like, Submission
from tests.factories import CampaignFactory, SubmissionFactory, UserFactory
from tests.resilience.profile import scale
from tests.resilience.stack import Answer, HttpClient, RedisServer, poll, stack

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

PORTS = range(18350, 18400)
ENTRIES = 10
PEOPLE = scale(60, 100)
LIKE_THREADS = 8
BEFORE = scale(3, 10)  # seconds of load with Redis up and the board built
OUTAGE = scale(6, 30)  # seconds with Redis dead
AFTER = scale(3, 10)  # seconds of likes once Redis is back
CONVERGE_WITHIN = 60.0  # the bound: standings in Redis equal the truth
SLOW = 5.0  # no request sent from the kill on may take longer than this


@dataclass
class Sent:
    kind: str  # "like" or "page"
    what: object  # (participant, entry) for a like, the path for a page
    answer: Answer


class Load:
    """Like threads and page threads against gunicorn, each answer kept with what was sent."""

    def __init__(self, *, port: int, pairs: list[tuple[int, str, int]], pages: list[str]) -> None:
        self.client = HttpClient(port=port, timeout=SLOW * 3)
        self.sent: list[Sent] = []
        self._lock = threading.Lock()
        # Each pair twice in a row: two like threads take the copies within milliseconds.
        self._likes = iter([p for p in pairs for _ in (0, 1)])
        self.stop_likes = threading.Event()
        self.only_entries: set[int] | None = None  # when set, likes of other entries are skipped
        self.likes_go = threading.Event()
        self.likes_go.set()
        self.likes_in_flight = 0
        self.stop_pages = threading.Event()
        self._threads = [
            threading.Thread(target=self._like_loop, name=f"likes-{i}") for i in range(LIKE_THREADS)
        ] + [
            threading.Thread(target=self._page_loop, args=(path,), name=f"page {path}")
            for path in pages
        ]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_likes.set()
        self.stop_pages.set()
        for thread in self._threads:
            thread.join(timeout=SLOW * 4)

    def _keep(self, sent: Sent) -> None:
        with self._lock:
            self.sent.append(sent)

    def _like_loop(self) -> None:
        while not self.stop_likes.is_set():
            if not self.likes_go.wait(timeout=0.1):
                continue
            with self._lock:
                pair = next(self._likes, None)
                self.likes_in_flight += pair is not None
            if pair is None:
                return
            pid, token, sid = pair
            try:
                if self.only_entries is None or sid in self.only_entries:
                    answer = self.client.request(
                        "POST",
                        f"/api/v1/submissions/{sid}/like/",
                        headers={
                            "Authorization": f"Token {token}",
                            "Content-Type": "application/json",
                        },
                        body=b"{}",
                    )
                    self._keep(Sent("like", (pid, sid), answer))
            finally:
                with self._lock:
                    self.likes_in_flight -= 1

    def likes_pause(self) -> None:
        """Send no new like, and return once every like sent has its answer."""
        self.likes_go.clear()
        assert poll(lambda: self.likes_in_flight == 0, timeout=SLOW * 3)

    def _page_loop(self, path: str) -> None:
        while not self.stop_pages.is_set():
            self._keep(Sent("page", path, self.client.request("GET", path)))

    def answers(self, kind: str, start: float = 0.0, end: float = float("inf")) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.kind == kind and start <= s.answer.started < end]


def _truth(campaign_id: int, points_entry: int, points_like: int) -> tuple[dict, dict]:
    """Entry like counts and participants' points recounted from the like rows alone."""
    live = Counter(
        Like.objects.filter(submission__campaign_id=campaign_id, removed_at=None).values_list(
            "submission_id", flat=True
        )
    )
    likes, points = {}, Counter()
    for sid, author_id in Submission.objects.filter(
        campaign_id=campaign_id, state=Submission.State.APPROVED
    ).values_list("pk", "author_id"):
        likes[sid] = live[sid]
        points[author_id] += points_entry + points_like * live[sid]
    return likes, dict(points)


def _redis_board(server: RedisServer, campaign_id: int) -> tuple[dict, dict] | None:
    """What the Redis leaderboard says ({participant: points}, {entry: likes}); None if unbuilt."""
    keys = leaderboard._keys(campaign_id)
    try:
        client = server.client(decode_responses=True)
        if not client.exists(keys["ready"]):
            return None
        players = client.zrange(keys["players"], 0, -1, withscores=True)
        entries = client.zrange(keys["entries"], 0, -1, withscores=True)
    except redis.RedisError:
        return None
    return (
        {int(member.split(":")[1]): -int(score) for member, score in players},
        {int(member): -int(score) for member, score in entries},
    )


def test_redis_killed_mid_storm_loses_nothing_and_the_board_heals(
    tmp_path: Path, resilience_report
) -> None:
    campaign = CampaignFactory(points_entry=10, points_like=1)
    entries = [SubmissionFactory(campaign=campaign) for _ in range(ENTRIES)]
    people = [(p.pk, Token.objects.create(user=p).key) for p in UserFactory.create_batch(PEOPLE)]
    pairs = [(pid, token, entry.pk) for pid, token in people for entry in entries]
    pages = [
        "/",
        f"/c/{campaign.slug}/",
        f"/entries/{entries[0].pk}/",
        f"/c/{campaign.slug}/leaderboard/",
        f"/api/v1/campaigns/{campaign.slug}/leaderboard/",
    ]

    with (
        stack(ports=PORTS, tmp_path=tmp_path) as real,
        Load(port=real.web.port, pairs=pairs, pages=pages) as load,
    ):
        # Before: the board gets built (a reader finds it missing and asks a worker).
        started = time.monotonic()
        assert poll(lambda: _redis_board(real.redis, campaign.pk), timeout=30), real.logs()
        built_seconds = time.monotonic() - started
        time.sleep(BEFORE)  # load with Redis up: the time is the scenario, not a wait

        killed = time.monotonic()
        real.redis.kill()
        time.sleep(OUTAGE)  # load with Redis dead
        # Every outage like is answered before Redis returns, so none of them could enqueue
        # its derivation (a request still in flight would enqueue once Redis is back).
        load.likes_pause()
        underived = set(
            Like.objects.filter(submission__campaign=campaign, derived_at=None).values_list(
                "submission_id", flat=True
            )
        )
        real.redis.start()
        back = time.monotonic()
        outage_seconds = back - killed

        # Likes go on once Redis is back, on half of the entries: their tasks derive the
        # outage's likes of those entries too, but only the repair that the rebuild runs derives
        # the other half's (the sweep is not running here).
        load.only_entries = {entry.pk for entry in entries[: ENTRIES // 2]}
        load.likes_go.set()
        time.sleep(AFTER)
        load.stop_likes.set()
        likes_done = time.monotonic()

        # Readers keep reading, as visitors would, until the board is the truth again.
        def healed() -> bool:
            board = _redis_board(real.redis, campaign.pk)
            if board is None:
                return False
            likes, points = _truth(campaign.pk, campaign.points_entry, campaign.points_like)
            return board == (points, {sid: n for sid, n in likes.items() if n > 0})

        converged = poll(healed, timeout=max(1.0, back + CONVERGE_WITHIN - time.monotonic()))
        converge_seconds = time.monotonic() - back
        load.stop_pages.set()
        assert converged, (
            f"Redis board {_redis_board(real.redis, campaign.pk)} != truth "
            f"{_truth(campaign.pk, campaign.points_entry, campaign.points_like)} "
            f"{CONVERGE_WITHIN:.0f} s after Redis returned\n{real.logs()}"
        )
        assert real.worker.process.poll() is None, real.logs()  # it reconnected by itself

    likes = load.answers("like")
    pages_sent = load.answers("page")
    during = (killed, back)
    likes_during = load.answers("like", *during)
    pages_during = load.answers("page", *during)

    # Nothing failed, outage or not, and nothing hung.
    bad_likes = [s for s in likes if s.answer.status not in {200, 201, 503}]
    assert not bad_likes, [(s.what, s.answer.status, s.answer.error) for s in bad_likes[:5]]
    bad_pages = [s for s in pages_sent if s.answer.status != 200]
    assert not bad_pages, [(s.what, s.answer.status, s.answer.error) for s in bad_pages[:5]]
    # From the kill on (the first requests of a cold gunicorn worker are slow for other reasons).
    slow = [s for s in load.sent if s.answer.started >= killed and s.answer.seconds > SLOW]
    assert not slow, [
        (s.kind, s.what, s.answer.status, f"{s.answer.started - killed:+.1f} s from the kill")
        for s in slow[:5]
    ] + [f"outage {outage_seconds:.1f} s"]
    assert likes_during, "no like was sent while Redis was dead"
    # Some outage likes are on entries nobody liked after Redis returned: the repair's to derive.
    assert underived - load.only_entries, underived
    assert {s.what for s in pages_during} == set(pages), "a page was not read during the outage"

    # Every success has its row, and every row a success: PostgreSQL lost nothing.
    succeeded = {s.what for s in likes if s.answer.status in {200, 201}}
    rows = set(
        Like.objects.filter(submission__campaign=campaign, removed_at=None).values_list(
            "user_id", "submission_id"
        )
    )
    lost = succeeded - rows
    assert not lost, f"{len(lost)} liked answers without a row, e.g. {sorted(lost)[:5]}"
    refused = {s.what for s in likes if s.answer.status == 503}
    assert rows - succeeded <= refused, "a row no request was told about"
    assert Like.objects.filter(submission__campaign=campaign).count() == len(rows)

    # The database's derived state is the truth too (the repair derived the outage's likes).
    likes_truth, points_truth = _truth(campaign.pk, campaign.points_entry, campaign.points_like)
    assert not Like.objects.filter(submission__campaign=campaign, derived_at=None).exists()
    assert (
        dict(Submission.objects.filter(campaign=campaign).values_list("pk", "like_count"))
        == likes_truth
    )
    assert (
        dict(Standing.objects.filter(campaign=campaign).values_list("participant_id", "points"))
        == points_truth
    )

    statuses = Counter(s.answer.status for s in likes)
    resilience_report(
        scenario="Redis killed (SIGKILL) and restarted mid like storm",
        load=f"{LIKE_THREADS} like threads (each like twice) and a reader per page ({len(pages)}), "
        f"{PEOPLE} people x {ENTRIES} entries, gunicorn 3x4 threads, 1 worker",
        faults=f"redis-server SIGKILL for {outage_seconds:.1f} s, restarted empty on its port",
        result="every success has its row; pages and leaderboard 200 throughout; 0 5xx; "
        f"worker reconnected; Redis board = truth {converge_seconds:.1f} s after Redis returned",
        lost=len(lost),
        like_requests=len(likes),
        like_successes=len(likes) - statuses[503],
        like_503=statuses[503],
        like_requests_during_outage=len(likes_during),
        like_max_seconds_during_outage=round(max(s.answer.seconds for s in likes_during), 2),
        page_requests=len(pages_sent),
        page_requests_during_outage=len(pages_during),
        page_max_seconds_during_outage=round(max(s.answer.seconds for s in pages_during), 2),
        server_errors=0,
        outage_seconds=round(outage_seconds, 1),
        board_built_seconds=round(built_seconds, 1),
        likes_after_return_seconds=round(likes_done - back, 1),
        converge_seconds_after_return=round(converge_seconds, 1),
    )
