"""Display names in a viewer's window come from Redis, beside each line, and a rename shows at once.

Every push of a standing, and every rebuild, stores the participant's display name with their
line in the campaign's hash (`version|member|name`); the window script returns them, so a
viewer's window needs no database. Saving a person, through the service or any other door,
pushes their lines again with the new name. A line stored before names were kept is named from
the database until its next push.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.services import user_profile_update
from sharing import leaderboard
from sharing.leaderboard import leaderboard_around, redis_client
from sharing.models import Standing
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


def test_a_window_needs_no_database_for_its_names(campaign, board) -> None:
    nameless = board[2]

    with CaptureQueriesContext(connection) as queries:
        shown = leaderboard_around(campaign=campaign, participant=nameless)

    assert _names(shown) == ["Ana", "Ben", f"Participant #{nameless.pk}", "Dan", "Eve"]
    assert _user_queries(queries) == []


def test_an_empty_name_is_shown_in_the_viewers_language(campaign, board) -> None:
    nameless = board[2]

    with translation.override("it"):
        mine, _above, _below = leaderboard_around(campaign=campaign, participant=nameless)

    assert mine.display_name == f"Partecipante #{nameless.pk}"


def test_pushed_lines_carry_their_names(
    campaign, board, award, django_capture_on_commit_callbacks
) -> None:
    newcomer = UserFactory(display_name="Zoe")
    with django_capture_on_commit_callbacks(execute=True):  # pushed after commit
        award(campaign, newcomer, 35)

    with CaptureQueriesContext(connection) as queries:
        shown = leaderboard_around(campaign=campaign, participant=newcomer)

    assert _names(shown) == ["Ana", "Ben", "Zoe", f"Participant #{board[2].pk}", "Dan"]
    assert _user_queries(queries) == []


def test_a_rename_through_the_profile_shows_at_once(
    campaign, board, django_capture_on_commit_callbacks
) -> None:
    ben = board[1]

    with django_capture_on_commit_callbacks(execute=True):
        user_profile_update(user=ben, display_name="Benedetta", language="it")

    mine, _above, below = leaderboard_around(campaign=campaign, participant=board[0])
    assert [row.display_name for row in (mine, *below)][:2] == ["Ana", "Benedetta"]
    assert leaderboard_around(campaign=campaign, participant=ben)[0].rank == 2  # same place


def test_a_rename_through_any_other_save_shows_at_once(
    campaign, board, django_capture_on_commit_callbacks
) -> None:
    dan = board[3]
    dan.display_name = "Daniele"

    with django_capture_on_commit_callbacks(execute=True):
        dan.save()  # as the admin does

    mine, _above, _below = leaderboard_around(campaign=campaign, participant=dan)
    assert mine.display_name == "Daniele"


def test_saving_other_fields_pushes_nothing(
    campaign, board, django_capture_on_commit_callbacks
) -> None:
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        board[4].save(update_fields=["last_login"])

    assert not [q for q in queries if Standing._meta.db_table in q["sql"]]


def test_a_line_stored_without_a_name_is_named_from_the_database(campaign, board) -> None:
    eve = board[4]
    key = leaderboard._keys(campaign.pk)["players_m"]
    client = redis_client()
    version, member, _name = client.hget(key, str(eve.pk)).split("|", 2)
    client.hset(key, str(eve.pk), f"{version}|{member}")  # as written before names were kept

    with CaptureQueriesContext(connection) as queries:
        mine, _above, _below = leaderboard_around(campaign=campaign, participant=eve)

    assert mine.display_name == "Eve"
    assert len(_user_queries(queries)) == 1


def test_a_rename_leaves_no_line_on_a_board_that_is_not_built(
    campaign, board, django_capture_on_commit_callbacks
) -> None:
    ana = board[0]
    leaderboard.leaderboard_redis_drop(campaign_id=campaign.pk)  # say its keys expired

    ana.display_name = "Anna"
    with django_capture_on_commit_callbacks(execute=True):
        ana.save()

    assert redis_client().exists(*leaderboard._keys(campaign.pk).values()) == 0
