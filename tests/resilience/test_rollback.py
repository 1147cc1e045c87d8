"""Writes rolled back enqueue nothing: derivations equal committed facts, no task meets a ghost.

Thousands of writes go through the services, each in its own transaction as a request's would:
likes, unlikes, comments, moderation decisions and share-link visits. One in ten is rolled back
after the service returned (an error later in the same request). Tasks travel to a real worker.
The worker's log says which tasks it ran with which ids; they must be exactly the committed
facts' derivations, every one must succeed, and none may be recorded as failed.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter

import pytest
from django.db import connections, transaction
from django.test import Client

from core.exceptions import ApplicationError
from core.models import FailedTask
from sharing.links import share_link_get_or_create
from sharing.models import ShareHit
from sharing.tasks import clicks_derive_task
from submissions.likes import like_create, like_remove
from submissions.models import Comment, Like, ModerationDecision, Submission
from submissions.services import comment_create, submission_moderate
from tests.factories import CampaignFactory, StaffFactory, SubmissionFactory, UserFactory
from tests.resilience.profile import scale
from tests.resilience.recount import leaderboard_keys_drop, mismatches
from tests.resilience.workers import wait_for, worker_fleet

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

WRITES = scale(300, 10_000)
THREADS = scale(2, 4)  # writers, each on its own entries and fans
WORKERS = scale(1, 2)
ROLLED_BACK_EVERY = 10
ENTRIES = scale(6, 24)
FANS = scale(30, 120)
DRAIN_TIMEOUT = scale(90, 600)
KINDS = ["like"] * 3 + ["unlike"] * 2 + ["comment"] * 2 + ["moderation"] + ["share"] * 2
POINTS_TASK = "sharing.tasks.submission_points_sync_task"
LIKES_TASK = "sharing.tasks.likes_derive_task"
EMAIL_TASK = "submissions.tasks.submission_decision_email_task"
State = Submission.State
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
TROUBLE = re.compile(r"ERROR/|CRITICAL/|Traceback|DoesNotExist|does not exist")


class RolledBack(Exception):
    """Raised after the service call: the request failed later, its transaction rolls back."""


class Writer:
    """One thread of writes on its own entries and fans, so it knows what it committed."""

    def __init__(
        self, *, seed: int, entries: list[Submission], fans: list, moderator, codes: dict
    ) -> None:
        self.rng = random.Random(seed)
        self.entries, self.fans, self.moderator, self.codes = entries, fans, moderator, codes
        self.liked: set[tuple[int, int]] = set()  # committed live likes
        self.public = {e.pk for e in entries}  # committed approvals
        self.outcome: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.errors: list[str] = []

    def run(self, writes: int) -> None:
        client = Client()
        try:
            for n in range(writes):
                self._write(n, client)
        except Exception as exc:  # a failing thread must fail the test, not vanish
            self.errors.append(repr(exc))
        finally:
            connections.close_all()

    def _write(self, n: int, client: Client) -> None:
        rng = self.rng
        kind = rng.choice(KINDS)
        # Likes and comments go to approved entries (others refuse them: no fact at all).
        shown = [e for e in self.entries if e.pk in self.public] or self.entries
        entry = rng.choice(shown if kind in ("like", "comment") else self.entries)
        entry.state = State.APPROVED if entry.pk in self.public else State.REJECTED
        fan = rng.choice(self.fans)
        roll_back = n % ROLLED_BACK_EVERY == ROLLED_BACK_EVERY - 1
        live = [pair for pair in self.liked if pair[1] == entry.pk]
        if kind == "unlike" and not live:
            kind = "like"
        if kind == "like" and (fan.pk, entry.pk) in self.liked:
            kind, live = "unlike", [(fan.pk, entry.pk)]
        try:
            with transaction.atomic():
                if kind == "like":
                    like_create(user=fan, submission=entry)
                elif kind == "unlike":
                    who = next(f for f in self.fans if f.pk == live[0][0])
                    assert like_remove(user=who, submission=entry) is not None
                elif kind == "comment":
                    comment_create(submission=entry, author=fan, body=f"Comment {n}")
                elif kind == "moderation":
                    approved = entry.state == State.APPROVED
                    submission_moderate(
                        submission=entry,
                        moderator=self.moderator,
                        action="reject" if approved else "approve",
                        reason="Off topic." if approved else "",
                    )
                else:
                    address = f"10.1.{rng.randrange(4)}.{rng.randrange(250)}"
                    response = client.get(
                        f"/s/{self.codes[entry.pk]}", REMOTE_ADDR=address, HTTP_USER_AGENT=BROWSER
                    )
                    assert response.status_code == 302
                if roll_back:
                    raise RolledBack
        except RolledBack:
            self.outcome["rolled_back"] += 1
            return
        except ApplicationError as exc:  # refused by a rule: no fact
            self.outcome["refused"] += 1
            self.refusals[f"{kind}:{exc.code}"] += 1
            return
        self.outcome[kind] += 1
        if kind == "like":
            self.liked.add((fan.pk, entry.pk))
        elif kind == "unlike":
            self.liked.discard(live[0])
        elif kind == "moderation":
            self.public.symmetric_difference_update({entry.pk})


def test_rolled_back_writes_enqueue_nothing_and_no_task_meets_a_missing_row(
    resilience_report,
) -> None:
    campaign = CampaignFactory()
    leaderboard_keys_drop([campaign.pk])
    entries = [
        Submission.objects.select_related("campaign").get(
            pk=SubmissionFactory(campaign=campaign).pk
        )
        for _ in range(ENTRIES)
    ]
    codes = {e.pk: share_link_get_or_create(submission=e, owner=e.author).code for e in entries}
    fans = UserFactory.create_batch(FANS)
    moderator = StaffFactory()
    writers = [
        Writer(
            seed=i,
            entries=entries[i::THREADS],
            fans=fans[i::THREADS],
            moderator=moderator,
            codes=codes,
        )
        for i in range(THREADS)
    ]

    with worker_fleet(WORKERS, concurrency=2) as fleet:
        started = time.monotonic()
        threads = [
            threading.Thread(target=w.run, args=(WRITES // THREADS,), daemon=True) for w in writers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        writing = time.monotonic() - started
        assert [e for w in writers for e in w.errors] == []
        outcome = sum((w.outcome for w in writers), Counter())
        refusals = sum((w.refusals for w in writers), Counter())

        wait_for(fleet.idle, timeout=DRAIN_TIMEOUT, what="the worker to run every task")
        fleet.run(clicks_derive_task)
        wait_for(fleet.idle, timeout=DRAIN_TIMEOUT, what="the click derivation")
        drained = time.monotonic() - started
        runs = fleet.runs()
        log = fleet.log

    ids = [e.pk for e in entries]
    likes = Like.objects.filter(submission_id__in=ids)
    decisions = ModerationDecision.objects.filter(submission_id__in=ids)
    # What the committed facts call for: one derivation per decision, one email per decision,
    # and for likes and unlikes at least one batch, never more than one per committed like or
    # unlike (a like finding a batch already queued sends none). Nothing for a rolled-back write.
    want_points = Counter(decisions.values_list("submission_id", flat=True))
    got_points = Counter(args[0] for name, _id, args in runs if name == POINTS_TASK)
    like_batches = sum(1 for name, _id, _args in runs if name == LIKES_TASK)
    got_emails = sorted(args[0] for name, _id, args in runs if name == EMAIL_TASK)

    assert likes.count() == outcome["like"]
    assert likes.filter(removed_at__isnull=False).count() == outcome["unlike"]
    assert decisions.count() == outcome["moderation"]
    assert Comment.objects.filter(submission_id__in=ids).count() == outcome["comment"]
    assert ShareHit.objects.count() == outcome["share"]
    assert got_points == want_points
    assert 1 <= like_batches <= outcome["like"] + outcome["unlike"]
    assert got_emails == sorted(decisions.values_list("pk", flat=True))
    assert len({task_id for _n, task_id, _a in runs}) == len(runs)  # each ran once
    assert log.count(" succeeded in ") == len(runs)
    assert TROUBLE.findall(log) == [], log[-20000:]
    assert FailedTask.objects.count() == 0
    # And what those tasks derived is the truth, with no sweep or repair to help.
    assert mismatches([campaign.pk]) == []
    resilience_report(
        scenario="Writes with a tenth rolled back",
        load=(
            f"{WRITES} writes, one transaction each: {outcome['like']} likes, "
            f"{outcome['unlike']} unlikes, {outcome['comment']} comments, "
            f"{outcome['moderation']} moderation decisions, {outcome['share']} share hits"
        ),
        faults=f"{outcome['rolled_back']} rolled back after the service call",
        result="tasks run = committed facts' derivations; 0 task errors; 0 FailedTask",
        lost=0,
        tasks_run=len(runs),
        like_batches=like_batches,
        refused=dict(refusals),
        writes_per_second=round(WRITES / writing, 1),
        seconds_to_drain=round(drained, 1),
    )
