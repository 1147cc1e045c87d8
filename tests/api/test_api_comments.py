"""Comments and reports through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from submissions.models import Comment, Report, Submission
from tests.api.helpers import error_of
from tests.factories import (
    CampaignFactory,
    CommentFactory,
    ReportFactory,
    StaffFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry() -> Submission:
    return SubmissionFactory()


@pytest.fixture
def hidden_entry() -> Submission:
    campaign = CampaignFactory(moderation_mode=Campaign.ModerationMode.PRE)
    return SubmissionFactory(campaign=campaign, state=Submission.State.PENDING)


def _comments(entry: Submission) -> str:
    return f"/api/v1/submissions/{entry.pk}/comments/"


def _comment(comment: Comment) -> str:
    return f"/api/v1/comments/{comment.pk}/"


def _aged(comment: Comment, minutes: int) -> Comment:
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )
    return comment


# --- Listing ---------------------------------------------------------------------------------


def test_comments_oldest_first_without_hidden_ones(anonymous, entry) -> None:
    first = _aged(CommentFactory(submission=entry, body="First"), 3)
    second = _aged(CommentFactory(submission=entry, body="<b>Second</b>"), 2)
    CommentFactory(submission=entry, is_hidden=True)
    CommentFactory()

    response = anonymous.get(_comments(entry))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next"}
    assert [row["id"] for row in body["results"]] == [first.pk, second.pk]
    row = body["results"][1]
    assert row["body"] == "<b>Second</b>"
    assert row["entry"] == entry.pk
    assert row["author"] == {"id": second.author_id, "display_name": second.author.public_name}
    assert row["edited_at"] is None
    assert row["is_hidden"] is False
    assert body["next"] is None


def test_author_sees_their_own_hidden_comment(client_for, entry) -> None:
    mine = CommentFactory(submission=entry, is_hidden=True)

    rows = client_for(mine.author).get(_comments(entry)).json()["results"]

    assert [(row["id"], row["is_hidden"]) for row in rows] == [(mine.pk, True)]


def test_comment_pages_follow_their_next_address(anonymous, entry) -> None:
    comments = [_aged(CommentFactory(submission=entry), 10 - n) for n in range(5)]
    seen, url = [], _comments(entry) + "?page_size=2"
    while url:
        body = anonymous.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
        assert url is None or url.startswith("http://testserver/api/v1/submissions/")

    assert seen == [comment.pk for comment in comments]


@pytest.mark.parametrize(
    ("query", "code"),
    [({"cursor": "garbage"}, "invalid_cursor"), ({"page_size": "0"}, "invalid")],
)
def test_comment_list_refuses_bad_queries(anonymous, entry, query, code) -> None:
    error_of(anonymous.get(_comments(entry), query), 400, code)


def test_comments_of_an_entry_not_public_are_a_404(anonymous, client_for, hidden_entry):
    error_of(anonymous.get(_comments(hidden_entry)), 404, "not_found")
    error_of(client_for(UserFactory()).get(_comments(hidden_entry)), 404, "not_found")


# --- Writing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["token", "session"])
def test_verified_person_comments(client_for, participant, entry, how) -> None:
    response = client_for(participant, how=how).post(
        _comments(entry), {"body": "  Lovely <3  "}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["body"] == "Lovely <3"
    assert body["author"]["id"] == participant.pk
    entry.refresh_from_db()
    assert entry.comment_count == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"body": ""}, "comment_empty"),
        ({"body": "   "}, "comment_empty"),
        ({"body": "x" * 1001}, "comment_too_long"),
        ({}, "invalid"),
        ({"body": "Hi", "author": 1}, "invalid"),
    ],
    ids=["empty", "blank", "too-long", "missing", "unknown-field"],
)
def test_comment_refusals_store_nothing(client_for, participant, entry, body, code) -> None:
    response = client_for(participant).post(_comments(entry), body, format="json")

    error = error_of(response, 400, code)
    assert error["fields"]
    assert not Comment.objects.exists()


def test_comment_refusals_by_who_asks(client_for, anonymous, entry, hidden_entry) -> None:
    error_of(anonymous.post(_comments(entry), {"body": "Hi"}), 401, "not_authenticated")
    unverified = client_for(UserFactory(verified=False))
    error_of(unverified.post(_comments(entry), {"body": "Hi"}), 403, "email_unverified")
    error_of(
        client_for(UserFactory()).post(_comments(hidden_entry), {"body": "Hi"}), 404, "not_found"
    )
    author = client_for(hidden_entry.author)
    error_of(author.post(_comments(hidden_entry), {"body": "Hi"}), 400, "not_commentable")
    assert not Comment.objects.exists()


def test_author_edits_their_comment(client_for, entry) -> None:
    comment = CommentFactory(submission=entry, body="Typo")

    response = client_for(comment.author).patch(_comment(comment), {"body": "Fixed"})

    assert response.status_code == 200
    assert response.json()["body"] == "Fixed"
    assert response.json()["edited_at"].endswith("Z")


def test_others_cannot_edit_or_delete(client_for, entry) -> None:
    comment = CommentFactory(submission=entry, body="Mine")
    other = client_for(UserFactory())

    error_of(other.patch(_comment(comment), {"body": "Yours"}), 403, "not_author")
    error_of(other.delete(_comment(comment)), 403, "not_author")
    comment.refresh_from_db()
    assert comment.body == "Mine"


def test_edit_refusals(client_for, anonymous, entry) -> None:
    comment = CommentFactory(submission=entry, body="Mine")

    error_of(anonymous.patch(_comment(comment), {"body": "X"}), 401, "not_authenticated")
    error_of(client_for(comment.author).patch(_comment(comment), {"body": ""}), 400)
    comment.refresh_from_db()
    assert comment.body == "Mine"


def test_author_and_moderator_delete(client_for, entry) -> None:
    mine, reported = CommentFactory.create_batch(2, submission=entry)

    assert client_for(mine.author).delete(_comment(mine)).status_code == 204
    assert client_for(StaffFactory()).delete(_comment(reported)).status_code == 204
    assert not Comment.objects.exists()


def test_comment_on_an_entry_not_public_is_a_404(client_for, hidden_entry) -> None:
    comment = CommentFactory(submission=hidden_entry)
    stranger = client_for(UserFactory())

    error_of(stranger.patch(_comment(comment), {"body": "X"}), 404, "not_found")
    error_of(stranger.delete(_comment(comment)), 404, "not_found")
    error_of(stranger.post(f"{_comment(comment)}reports/", {"reason": "spam"}), 404, "not_found")


def test_hidden_comment_is_a_404_to_others_but_its_author_edits_it(client_for, entry) -> None:
    comment = CommentFactory(submission=entry, is_hidden=True)

    error_of(client_for(UserFactory()).patch(_comment(comment), {"body": "X"}), 404)
    assert client_for(comment.author).patch(_comment(comment), {"body": "X"}).status_code == 200


def test_comment_errors_in_italian(client_for, entry) -> None:
    comment = CommentFactory(submission=entry)

    response = client_for(UserFactory(), language="it").patch(_comment(comment), {"body": "X"})

    error = error_of(response, 403, "not_author")
    assert error["message"] == "Solo chi l\u2019ha scritto può modificare un commento."


# --- Reports ---------------------------------------------------------------------------------


def test_report_an_entry_then_again(client_for, participant, entry) -> None:
    client = client_for(participant)
    url = f"/api/v1/submissions/{entry.pk}/reports/"

    first = client.post(url, {"reason": "spam", "details": "Ads"}, format="json")
    again = client.post(url, {"reason": "offensive"}, format="json")

    assert first.status_code == 201
    assert first.json()["reason"] == "spam"
    assert first.json()["details"] == "Ads"
    error_of(again, 409, "already_reported")
    assert Report.objects.count() == 1


def test_report_a_comment_then_again(client_for, participant, entry) -> None:
    comment = CommentFactory(submission=entry)
    client = client_for(participant, language="it")
    url = f"{_comment(comment)}reports/"

    assert client.post(url, {"reason": "offensive"}).status_code == 201
    error = error_of(client.post(url, {"reason": "offensive"}), 409, "already_reported")
    assert error["message"] == "Hai già fatto questa segnalazione."
    assert Report.objects.get().comment == comment


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "invalid", "reason"),
        ({"reason": "boring"}, "invalid", "reason"),
        ({"reason": "spam", "details": "x" * 501}, "details_too_long", "details"),
        ({"reason": "spam", "submission": 1}, "invalid", "submission"),
    ],
    ids=["no-reason", "unknown-reason", "details-too-long", "unknown-field"],
)
def test_report_refuses_bad_input(client_for, participant, entry, body, code, field) -> None:
    response = client_for(participant).post(
        f"/api/v1/submissions/{entry.pk}/reports/", body, format="json"
    )

    assert error_of(response, 400, code)["fields"][field]
    assert not Report.objects.exists()


def test_report_refusals_by_who_asks(client_for, anonymous, entry, hidden_entry) -> None:
    url = f"/api/v1/submissions/{entry.pk}/reports/"

    error_of(anonymous.post(url, {"reason": "spam"}), 401, "not_authenticated")
    error_of(
        client_for(UserFactory(verified=False)).post(url, {"reason": "spam"}),
        403,
        "email_unverified",
    )
    error_of(client_for(entry.author).post(url, {"reason": "spam"}), 400, "own_content")
    error_of(
        client_for(UserFactory()).post(
            f"/api/v1/submissions/{hidden_entry.pk}/reports/", {"reason": "spam"}
        ),
        404,
        "not_found",
    )
    assert not Report.objects.exists()


def test_enough_reports_hide_the_entry_from_the_api(client_for, anonymous, entry, settings):
    settings.PASSAPAROLA_REPORTS_TO_HIDE = 2
    ReportFactory(submission=entry)
    Submission.objects.filter(pk=entry.pk).update(report_count=1)

    response = client_for(UserFactory()).post(
        f"/api/v1/submissions/{entry.pk}/reports/", {"reason": "spam"}
    )

    assert response.status_code == 201
    error_of(anonymous.get(f"/api/v1/submissions/{entry.pk}/"), 404, "not_found")
