"""A like storm: every like sent twice within milliseconds, through gunicorn, to a real worker.

Many verified people like the approved entries of an open campaign, all at once, and each like
request goes out twice at the same moment (a double tap, a retrying client). The database must
keep one like per person and entry, the API must answer the first request 201 and the duplicate
200 (its documented answer for an entry the caller already likes), never a 5xx, and once the
worker has derived everything each entry's like count and each author's points must equal a
fresh recount from the like rows.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from sharing.models import PointEvent, Standing
from submissions.models import Like, Submission
from tests.factories import CampaignFactory, SubmissionFactory, UserFactory
from tests.resilience.profile import scale
from tests.resilience.stack import Answer, HttpClient, poll, stack

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

PORTS = range(18300, 18350)
Pair = tuple[int, int]  # (participant, entry)
ENTRIES = 10
PEOPLE = scale(50, 100)
CLIENT_THREADS = 24
SETTLE_TIMEOUT = scale(60, 180)


def _people_with_tokens(count: int) -> list[tuple[int, str]]:
    people = UserFactory.create_batch(count)
    return [(p.pk, Token.objects.create(user=p).key) for p in people]


def _truth(campaign_id: int, points_entry: int, points_like: int) -> dict[str, dict[int, int]]:
    """Like counts and points recounted from the like rows alone, not from anything derived."""
    live = Counter(
        Like.objects.filter(
            submission__campaign_id=campaign_id, removed_at__isnull=True
        ).values_list("submission_id", flat=True)
    )
    likes, points = {}, Counter()
    for sid, author_id in Submission.objects.filter(
        campaign_id=campaign_id, state=Submission.State.APPROVED
    ).values_list("pk", "author_id"):
        likes[sid] = live[sid]
        points[author_id] += points_entry + points_like * live[sid]
    return {"likes": likes, "points": dict(points)}


def _derived(campaign_id: int) -> dict[str, dict[int, int]]:
    ledger = Counter()
    for pid, value in PointEvent.objects.filter(campaign_id=campaign_id).values_list(
        "participant_id", "points"
    ):
        ledger[pid] += value
    return {
        "likes": dict(
            Submission.objects.filter(campaign_id=campaign_id).values_list("pk", "like_count")
        ),
        "points": dict(
            Standing.objects.filter(campaign_id=campaign_id).values_list("participant_id", "points")
        ),
        "ledger": dict(ledger),
    }


def test_like_storm_keeps_one_like_per_person_and_entry(tmp_path: Path, resilience_report) -> None:
    campaign = CampaignFactory(points_entry=10, points_like=1)
    entries = [SubmissionFactory(campaign=campaign) for _ in range(ENTRIES)]
    people = _people_with_tokens(PEOPLE)
    pairs = [(pid, token, entry.pk) for pid, token in people for entry in entries]

    with stack(ports=PORTS, tmp_path=tmp_path) as real:
        client = HttpClient(port=real.web.port, timeout=15)

        def like(job: tuple[tuple[int, str, int], threading.Barrier]) -> tuple[Pair, Answer]:
            (pid, token, sid), together = job
            together.wait(timeout=30)  # both copies leave at the same moment
            answer = client.request(
                "POST",
                f"/api/v1/submissions/{sid}/like/",
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
                body=b"{}",
            )
            return (pid, sid), answer

        # Each pair twice in a row, sharing a barrier: two client threads take the copies one
        # after the other and send them together.
        jobs = [(p, b) for p in pairs for b in [threading.Barrier(2)] for _ in (0, 1)]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
            results = list(pool.map(like, jobs))
        storm_seconds = time.monotonic() - started

        statuses = Counter(a.status for _pair, a in results)
        failures = [
            (pair, a.status, a.error or a.body[:300]) for pair, a in results if a.status >= 500
        ] + [(pair, a.status, a.error) for pair, a in results if a.status == 0]
        assert not failures, f"{len(failures)} failed: {failures[:5]}\n{real.logs()}"
        assert set(statuses) <= {200, 201}, statuses

        gaps: list[float] = []
        both_201: list[Pair] = []
        for i in range(0, len(results), 2):
            (first_pair, first), (second_pair, second) = results[i], results[i + 1]
            assert first_pair == second_pair
            gaps.append(abs(second.started - first.started))
            liked = [json.loads(a.body) for a in (first, second)]
            assert all(body["liked"] for body in liked)
            assert liked[0]["liked_at"] == liked[1]["liked_at"]
            # Exactly one of the two created the like; the other was told it already exists.
            if sorted((first.status, second.status)) != [200, 201]:
                both_201.append(first_pair)

        rows = set(
            Like.objects.filter(submission__campaign=campaign).values_list(
                "user_id", "submission_id"
            )
        )
        assert len(rows) == Like.objects.filter(submission__campaign=campaign).count()
        assert rows == {(pid, sid) for pid, _t, sid in pairs}

        # The worker settles it: every like derived, counts and points equal to a recount.
        truth = _truth(campaign.pk, campaign.points_entry, campaign.points_like)

        def settled() -> bool:
            underived = Like.objects.filter(submission__campaign=campaign, derived_at=None)
            if underived.exists():
                return False
            derived = _derived(campaign.pk)
            return (
                derived["likes"] == truth["likes"]
                and derived["points"] == truth["points"]
                and derived["ledger"] == truth["points"]
            )

        settle_started = time.monotonic()
        done = poll(settled, timeout=SETTLE_TIMEOUT, every=0.5)
        settle_seconds = time.monotonic() - settle_started
        assert done, (
            f"not settled in {SETTLE_TIMEOUT} s: derived {_derived(campaign.pk)}, "
            f"truth {truth}\n{real.logs()}"
        )
        assert real.worker.process.poll() is None

    # Last, so the checks above report first: the API's answer to a duplicate like.
    assert not both_201, (
        f"{len(both_201)} of {len(pairs)} pairs were answered 201 twice, e.g. {both_201[:3]} "
        f"(storm {storm_seconds:.1f} s, settled in {settle_seconds:.1f} s)"
    )
    assert statuses[201] == len(rows) == len(pairs)
    assert statuses[200] == len(pairs)

    gaps.sort()
    latencies = sorted(a.seconds for _pair, a in results)
    resilience_report(
        scenario="Like storm, each like sent twice",
        load=f"{len(pairs)} likes x2 from {PEOPLE} people on {ENTRIES} entries, "
        f"{CLIENT_THREADS} client threads, gunicorn 3x4 threads, 1 worker",
        faults="duplicate requests within milliseconds",
        result=f"rows = pairs = 201s = {len(rows)}; duplicates 200; 0 5xx; counts and points "
        "equal a recount",
        lost=0,
        requests=len(results),
        created_201=statuses[201],
        duplicate_200=statuses[200],
        server_errors=0,
        storm_seconds=round(storm_seconds, 1),
        requests_per_second=round(len(results) / storm_seconds),
        duplicate_gap_ms_median=round(gaps[len(gaps) // 2] * 1000, 1),
        duplicate_gap_ms_max=round(gaps[-1] * 1000, 1),
        latency_ms_median=round(latencies[len(latencies) // 2] * 1000),
        latency_ms_p99=round(latencies[int(len(latencies) * 0.99)] * 1000),
        latency_ms_max=round(latencies[-1] * 1000),
        settle_seconds=round(settle_seconds, 1),
    )
