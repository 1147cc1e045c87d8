"""The leaderboard: competition ranks, tie order, and Redis and the database agreeing exactly."""

from __future__ import annotations

import logging
import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from campaigns.models import Campaign
from sharing import leaderboard
from sharing.leaderboard import (
    StandingRow,
    leaderboard_around,
    leaderboard_redis_rebuild,
    leaderboard_top,
    top_entries_by_likes,
)
from sharing.ledger import standings_refresh
from sharing.models import PointEvent, Standing
from submissions import services
from submissions.likes import like_create, like_remove
from tests.engagement.engine_support import campaign_keys, redis_client, redis_ready
from tests.factories import (
    CampaignFactory,
    StaffFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _expected(rows: list[tuple[int, int, int]]) -> list[tuple[int, int, int, int]]:
    """The specification, naively: (rank, id, points, reached) for (id, points, reached) rows."""
    listed = [r for r in rows if r[1] > 0]
    ordered = sorted(listed, key=lambda r: (-r[1], r[2], r[0]))
    return [
        (1 + sum(1 for o in listed if o[1] > p), pid, p, reached) for pid, p, reached in ordered
    ]


def _plain(rows: list[StandingRow]) -> list[tuple[int, int, int, int]]:
    return [(r.rank, r.participant_id, r.points, r.reached_ms) for r in rows]


def _generate(campaign: Campaign, *, people: int, seed: int) -> list[tuple[int, int, int]]:
    """Ledger lines for `people` participants with many equal totals and equal instants."""
    generator = random.Random(seed)
    users = UserFactory.create_batch(people)
    base = timezone.now() - timedelta(hours=6)
    instants = [base + timedelta(minutes=m) for m in range(4)]
    events, stamps = [], {}
    for user in users:
        for n in range(generator.randint(1, 3)):
            key = f"gen:{campaign.pk}:{user.pk}:{n}"
            events.append(
                PointEvent(
                    campaign=campaign,
                    participant=user,
                    kind="click",
                    points=generator.choice([0, 1, 2, 2, 3, 5]),
                    key=key,
                )
            )
            stamps[key] = generator.choice(instants)
    PointEvent.objects.bulk_create(events)
    for instant in instants:
        keys = [k for k, at in stamps.items() if at == instant]
        PointEvent.objects.filter(key__in=keys).update(created_at=instant)
    standings_refresh(campaign_id=campaign.pk, participant_ids=[u.pk for u in users])
    return list(
        Standing.objects.filter(campaign=campaign).values_list(
            "participant_id", "points", "reached_ms"
        )
    )


def test_ties_share_a_rank_and_who_reached_first_is_listed_first(backend, campaign, award) -> None:
    now = timezone.now()
    first, late, early, last, same_a, same_b = UserFactory.create_batch(6)
    award(campaign, first, 5, at=now - timedelta(minutes=50))
    award(campaign, late, 3, at=now - timedelta(minutes=10))
    award(campaign, early, 3, at=now - timedelta(minutes=40))  # a higher id, reached it first
    award(campaign, last, 1, at=now - timedelta(minutes=30))
    award(campaign, same_b, 1, at=now - timedelta(minutes=30))
    award(campaign, same_a, 1, at=now - timedelta(minutes=30))
    redis_ready(backend, campaign)

    rows = leaderboard_top(campaign=campaign, limit=10)

    assert [(r.rank, r.participant_id) for r in rows] == [
        (1, first.pk),
        (2, early.pk),
        (2, late.pk),
        (4, last.pk),
        (4, same_a.pk),
        (4, same_b.pk),
    ]
    assert rows[0].display_name == first.display_name


def test_top_and_around_follow_the_specification(backend, campaign) -> None:
    rows = _generate(campaign, people=40, seed=7)
    redis_ready(backend, campaign)
    expected = _expected(rows)

    for limit in (0, 1, 7, 40, 100):
        assert _plain(leaderboard_top(campaign=campaign, limit=limit)) == expected[:limit]
    for position, (_rank, pid, _p, _r) in enumerate(expected):
        for span in (0, 2):
            mine, above, below = leaderboard_around(campaign=campaign, participant=pid, span=span)
            assert _plain([mine]) == [expected[position]]
            assert _plain(above) == expected[max(0, position - span) : position]
            assert _plain(below) == expected[position + 1 : position + 1 + span]


def test_someone_without_points_is_not_listed(backend, campaign, award) -> None:
    award(campaign, UserFactory(), 2)
    nobody, zero = UserFactory.create_batch(2)
    award(campaign, zero, 0)
    redis_ready(backend, campaign)

    assert leaderboard_around(campaign=campaign, participant=nobody) == (None, [], [])
    assert leaderboard_around(campaign=campaign, participant=zero) == (None, [], [])
    assert len(leaderboard_top(campaign=campaign)) == 1


def test_top_entries_by_likes_rank_ties_oldest_first(
    backend, campaign, django_capture_on_commit_callbacks
) -> None:
    entries = SubmissionFactory.create_batch(4, campaign=campaign)
    SubmissionFactory(campaign=campaign, state="rejected")
    fans = UserFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=True):
        for fan in fans:
            like_create(user=fan, submission=entries[2])
        like_create(user=fans[0], submission=entries[1])
        like_create(user=fans[1], submission=entries[3])
    redis_ready(backend, campaign)

    rows = top_entries_by_likes(campaign=campaign, limit=10)

    assert [(r.rank, r.submission.pk, r.likes) for r in rows] == [
        (1, entries[2].pk, 3),
        (2, entries[1].pk, 1),
        (2, entries[3].pk, 1),
    ]
    assert rows[0].submission.author == entries[2].author


@pytest.mark.redis
def test_redis_and_the_database_give_identical_answers(campaign, monkeypatch) -> None:
    _generate(campaign, people=120, seed=11)
    ids = list(Standing.objects.filter(campaign=campaign).values_list("participant_id", flat=True))
    spans = (0, 1, 3)
    from_db = {
        "top": [leaderboard.leaderboard_top_db(campaign_id=campaign.pk, limit=n) for n in (5, 50)],
        "around": [
            leaderboard.leaderboard_around_db(campaign_id=campaign.pk, participant_id=p, span=s)
            for p in ids
            for s in spans
        ],
    }
    assert leaderboard_redis_rebuild(campaign_id=campaign.pk)
    for name in ("leaderboard_top_db", "leaderboard_around_db"):
        monkeypatch.setattr(leaderboard, name, None)  # Redis must answer alone

    from_redis = {
        "top": [leaderboard_top(campaign=campaign, limit=n) for n in (5, 50)],
        "around": [
            leaderboard_around(campaign=campaign, participant=p, span=s) for p in ids for s in spans
        ],
    }

    assert from_redis == from_db
    assert len({row.rank for row in from_db["top"][1]}) < 50  # there really are ties


@pytest.mark.redis
def test_flushing_redis_and_rebuilding_gives_identical_standings(
    campaign, django_capture_on_commit_callbacks
) -> None:
    moderator = StaffFactory()
    entries = SubmissionFactory.create_batch(5, campaign=campaign, state="pending")
    fans = UserFactory.create_batch(6)
    with django_capture_on_commit_callbacks(execute=True):
        services.submissions_moderate_bulk(
            submission_ids=[e.pk for e in entries], moderator=moderator, action="approve"
        )
    for entry in entries:
        entry.refresh_from_db()
    assert leaderboard_redis_rebuild(campaign_id=campaign.pk)
    with django_capture_on_commit_callbacks(execute=True):  # pushed to Redis one by one
        for i, fan in enumerate(fans):
            for entry in entries[i % 5 :]:
                like_create(user=fan, submission=entry)
        like_remove(user=fans[0], submission=entries[0])

    def answers() -> tuple:
        return (
            leaderboard_top(campaign=campaign, limit=50),
            [leaderboard_around(campaign=campaign, participant=e.author) for e in entries],
            top_entries_by_likes(campaign=campaign),
        )

    def redis_contents() -> dict:
        client = redis_client()
        return {
            key.rsplit("}", 1)[1]: (
                client.zrange(key, 0, -1, withscores=True)
                if client.type(key) == "zset"
                else client.hgetall(key)
                if client.type(key) == "hash"
                else None
            )
            for key in campaign_keys(campaign)
            if not key.endswith(":ready")
        }

    before, contents = answers(), redis_contents()
    assert before[0]
    assert before[2]

    redis_client().delete(*campaign_keys(campaign))  # this campaign's keys only, never FLUSHDB
    assert answers() == before  # the database answers meanwhile
    call_command("rebuild_leaderboards", campaign=campaign.slug, stdout=None)

    assert answers() == before
    zsets = {k: v for k, v in redis_contents().items() if k.endswith(("players", "entries"))}
    assert zsets == {k: v for k, v in contents.items() if k.endswith(("players", "entries"))}


@pytest.mark.redis
def test_a_rebuild_without_standings_empties_the_board(campaign, award) -> None:
    person = UserFactory()
    award(campaign, person, 3)
    assert leaderboard_redis_rebuild(campaign_id=campaign.pk)
    PointEvent.objects.filter(campaign=campaign).delete()

    leaderboard.leaderboard_rebuild(campaign_id=campaign.pk)

    assert leaderboard_top(campaign=campaign) == []
    assert leaderboard_around(campaign=campaign, participant=person) == (None, [], [])


@pytest.mark.redis
def test_a_late_push_does_not_overwrite_a_newer_one(
    campaign, award, django_capture_on_commit_callbacks
) -> None:
    person = UserFactory()
    award(campaign, person, 3)
    assert leaderboard_redis_rebuild(campaign_id=campaign.pk)
    old = Standing.objects.get(participant=person)
    with django_capture_on_commit_callbacks(execute=True):
        award(campaign, person, 4)
    assert leaderboard_top(campaign=campaign)[0].points == 7

    leaderboard.standings_push(campaign.pk, [old])  # the earlier commit's push, arriving last

    assert leaderboard_top(campaign=campaign)[0].points == 7
    newest = Standing.objects.get(participant=person).updated_at
    stored = redis_client().hget(
        f"{campaign_keys(campaign)[0].split('}')[0]}}}:players:m", person.pk
    )
    assert stored.split("|")[0] == str(leaderboard.version_of(newest))


def test_redis_down_falls_back_to_the_database_and_warns_once(
    campaign, award, settings, caplog
) -> None:
    award(campaign, UserFactory(), 3)
    award(campaign, UserFactory(), 5)
    settings.PASSAPAROLA_LEADERBOARD_REDIS = False
    expected = leaderboard_top(campaign=campaign)
    settings.PASSAPAROLA_LEADERBOARD_REDIS = True
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    with caplog.at_level(logging.WARNING, logger="sharing.leaderboard"):
        for _ in range(3):
            assert leaderboard_top(campaign=campaign) == expected
            leaderboard._health["down_until"] = 0.0  # try Redis again each time
        award(campaign, UserFactory(), 1)  # a push fails quietly too

    assert len(caplog.records) == 1
    assert "using the database" in caplog.records[0].getMessage()
    assert len(leaderboard_top(campaign=campaign)) == 3


@pytest.mark.parametrize("people", [10, 100])
def test_the_database_top_is_one_query(
    people, database_only, django_assert_num_queries, campaign
) -> None:
    _generate(campaign, people=people, seed=people)
    listed = Standing.objects.filter(campaign=campaign, points__gt=0).count()

    with django_assert_num_queries(1):
        rows = leaderboard_top(campaign=campaign, limit=people)

    assert len(rows) == listed


@pytest.mark.parametrize("people", [10, 100])
def test_the_database_around_me_is_four_queries(
    people, database_only, django_assert_num_queries, campaign
) -> None:
    rows = _generate(campaign, people=people, seed=people + 1)
    me = max(rows, key=lambda r: r[1])[0]

    with django_assert_num_queries(4):
        mine, _above, _below = leaderboard_around(campaign=campaign, participant=me, span=2)

    assert mine is not None


@pytest.mark.redis
@pytest.mark.parametrize("people", [10, 100])
def test_the_redis_top_reads_only_display_names(
    people, django_assert_num_queries, campaign
) -> None:
    _generate(campaign, people=people, seed=people)
    assert leaderboard_redis_rebuild(campaign_id=campaign.pk)

    with django_assert_num_queries(1):
        leaderboard_top(campaign=campaign, limit=people)


def test_an_unbuilt_campaign_is_read_from_the_database(campaign, award) -> None:
    """A campaign whose keys were never built (or were flushed) is never shown half-empty."""
    other = CampaignFactory()
    award(campaign, UserFactory(), 2)
    award(other, UserFactory(), 4)

    assert [r.points for r in leaderboard_top(campaign=campaign)] == [2]
    assert [r.points for r in leaderboard_top(campaign=other)] == [4]


@pytest.mark.redis
def test_a_closed_campaigns_keys_expire_and_an_open_ones_do_not(campaign, award, settings) -> None:
    from datetime import timedelta

    from django.utils import timezone

    settings.PASSAPAROLA_LEADERBOARD_CLOSED_TTL = 3600
    award(campaign, UserFactory(), 3)
    assert leaderboard_redis_rebuild(campaign_id=campaign.pk)
    client = redis_client()
    assert {client.ttl(key) for key in campaign_keys(campaign) if client.exists(key)} == {-1}

    Campaign.objects.filter(pk=campaign.pk).update(
        starts_at=timezone.now() - timedelta(days=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    assert leaderboard_redis_rebuild(campaign_id=campaign.pk)

    ttls = {key: client.ttl(key) for key in campaign_keys(campaign) if client.exists(key)}
    assert len(ttls) >= 3  # the players, their versions, and the ready marker
    assert all(3500 < ttl <= 3600 for ttl in ttls.values()), ttls
    assert [row.points for row in leaderboard_top(campaign=campaign)] == [3]


@pytest.mark.redis
def test_pushes_lost_while_redis_failed_send_readers_to_the_database_until_rebuilt(
    campaign, award, settings, django_capture_on_commit_callbacks
) -> None:
    settings.PASSAPAROLA_LEADERBOARD_REDIS = True
    leader, chaser = UserFactory.create_batch(2)
    award(campaign, leader, 5)
    award(campaign, chaser, 3)
    assert leaderboard_redis_rebuild(campaign_id=campaign.pk)

    leaderboard._health["down_until"] = float("inf")  # Redis failing: this push is skipped
    with django_capture_on_commit_callbacks(execute=True):
        award(campaign, chaser, 10)
    assert campaign.pk in leaderboard._stale
    leaderboard._health["down_until"] = 0.0  # back, with the old board and its ready marker

    top = leaderboard_top(campaign=campaign)  # Redis answers: the lost push is noticed

    assert [(r.participant_id, r.points) for r in top][:1] in ([(leader.pk, 5)], [])
    assert not leaderboard._stale
    fresh = leaderboard_top(campaign=campaign)  # the marker is gone: the database answers
    assert [(r.participant_id, r.points) for r in fresh] == [(chaser.pk, 13), (leader.pk, 5)]
    assert leaderboard_redis_rebuild(campaign_id=campaign.pk)
    assert [r.participant_id for r in leaderboard_top(campaign=campaign)] == [chaser.pk, leader.pk]
