"""Display names in a viewer's window come from Redis once read, and a changed name shows at once.

The window script returns the names Redis keeps beside the board; those it lacks are read from
the database and kept, in a hash that expires on its own. Saving a person's profile, through
the service or any other door, forgets their name in their campaigns' boards.
"""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.services import user_profile_update
from sharing import leaderboard
from sharing.leaderboard import NAMES_SECONDS, leaderboard_around
from tests.factories import UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def board(campaign, award):
    """Five people on a Redis board, the middle one without a display name."""
    people = [UserFactory(display_name=name) for name in ("Ana", "Ben", "", "Dan", "Eve")]
    for points, person in zip([50, 40, 30, 20, 10], people, strict=True):
        award(campaign, person, points)
    assert leaderboard.leaderboard_redis_rebuild(campaign_id=campaign.pk)
    return people


def _names(around) -> list[str]:
    mine, above, below = around
    return [row.display_name for row in (*above, mine, *below)]


def _user_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "accounts_user" in q["sql"]]


def test_a_window_reads_names_once_then_from_redis(campaign, board) -> None:
    nameless = board[2]

    with CaptureQueriesContext(connection) as first:
        shown = leaderboard_around(campaign=campaign, participant=nameless)
    with CaptureQueriesContext(connection) as second:
        again = leaderboard_around(campaign=campaign, participant=nameless)

    expected = ["Ana", "Ben", f"Participant #{nameless.pk}", "Dan", "Eve"]
    assert _names(shown) == expected
    assert _names(again) == expected
    assert len(_user_queries(first)) == 1
    assert _user_queries(second) == []


def test_a_name_kept_empty_is_still_shown_in_the_viewers_language(campaign, board) -> None:
    nameless = board[2]
    leaderboard_around(campaign=campaign, participant=nameless)

    with translation.override("it"):
        mine, _above, _below = leaderboard_around(campaign=campaign, participant=nameless)

    assert mine.display_name == f"Partecipante #{nameless.pk}"


def test_the_kept_names_expire_on_their_own(campaign, board) -> None:
    leaderboard_around(campaign=campaign, participant=board[2])
    client = redis.Redis.from_url(settings.REDIS_URL)
    key = leaderboard._keys(campaign.pk)["names"]

    assert 0 < client.ttl(key) <= NAMES_SECONDS
    assert client.hlen(key) == 5


def test_a_rename_through_the_profile_shows_at_once(
    campaign, board, django_capture_on_commit_callbacks
) -> None:
    ben = board[1]
    leaderboard_around(campaign=campaign, participant=ben)

    with django_capture_on_commit_callbacks(execute=True):
        user_profile_update(user=ben, display_name="Benedetta", language="it")

    mine, _above, below = leaderboard_around(campaign=campaign, participant=board[0])
    assert [row.display_name for row in (mine, *below)][:2] == ["Ana", "Benedetta"]
    mine, _above, _below = leaderboard_around(campaign=campaign, participant=ben)
    assert mine.display_name == "Benedetta"


def test_a_rename_through_any_other_save_shows_at_once(
    campaign, board, django_capture_on_commit_callbacks
) -> None:
    dan = board[3]
    leaderboard_around(campaign=campaign, participant=dan)

    dan.display_name = "Daniele"
    with django_capture_on_commit_callbacks(execute=True):
        dan.save()  # as the admin does

    mine, _above, _below = leaderboard_around(campaign=campaign, participant=dan)
    assert mine.display_name == "Daniele"


def test_saving_other_fields_keeps_the_names(
    campaign, board, django_capture_on_commit_callbacks
) -> None:
    eve = board[4]
    leaderboard_around(campaign=campaign, participant=eve)

    with django_capture_on_commit_callbacks(execute=True):
        eve.save(update_fields=["last_login"])

    with CaptureQueriesContext(connection) as queries:
        leaderboard_around(campaign=campaign, participant=eve)
    assert _user_queries(queries) == []
