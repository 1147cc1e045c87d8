"""Reads: the gallery's keyset pages, one entry's visibility, own entries, comments, counts."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from campaigns.models import Campaign
from core.exceptions import ApplicationError
from submissions.models import Submission
from submissions.selectors import (
    comments_for_submission,
    gallery_page,
    submission_counts_by_state,
    submission_get_public,
    submissions_for_author,
)
from tests.factories import CampaignFactory, CommentFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

State = Submission.State


def _entries(campaign: Campaign, count: int, *, state: str = State.APPROVED, likes=None):
    """Entries with ties on purpose: pairs share a creation instant, likes repeat."""
    moment = timezone.now() - timedelta(days=1)
    entries = SubmissionFactory.create_batch(count, campaign=campaign, state=state)
    for index, entry in enumerate(entries):
        entry.created_at = moment + timedelta(seconds=index // 2)
        entry.like_count = likes(index) if likes else 0
    Submission.objects.bulk_update(entries, ["created_at", "like_count"])
    return entries


def _walk(campaign: Campaign, order: str, limit: int) -> list[int]:
    seen, cursor = [], None
    for _ in range(100):
        page, cursor = gallery_page(campaign=campaign, order=order, limit=limit, cursor=cursor)
        assert len(page) <= limit
        seen += [entry.pk for entry in page]
        if cursor is None:
            return seen
    raise AssertionError("the cursor walk never ended")


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50])
def test_newest_walk_returns_each_visible_entry_once_in_order(limit: int) -> None:
    campaign = CampaignFactory()
    entries = _entries(campaign, 11)
    expected = [
        entry.pk
        for entry in sorted(entries, key=lambda entry: (entry.created_at, entry.pk), reverse=True)
    ]

    assert _walk(campaign, "newest", limit) == expected


@pytest.mark.parametrize("limit", [1, 2, 4, 50])
def test_most_liked_walk_is_stable_under_ties(limit: int) -> None:
    campaign = CampaignFactory()
    entries = _entries(campaign, 12, likes=lambda index: index % 3)
    expected = [
        entry.pk
        for entry in sorted(
            entries,
            key=lambda entry: (entry.like_count, entry.created_at, entry.pk),
            reverse=True,
        )
    ]

    assert _walk(campaign, "most_liked", limit) == expected


def test_empty_gallery_has_no_next_page() -> None:
    assert gallery_page(campaign=CampaignFactory(), order="newest", limit=10, cursor=None) == (
        [],
        None,
    )


def test_exactly_a_page_has_no_next_page() -> None:
    campaign = CampaignFactory()
    _entries(campaign, 4)

    page, cursor = gallery_page(campaign=campaign, order="newest", limit=4, cursor=None)

    assert len(page) == 4
    assert cursor is None


@pytest.mark.parametrize(
    ("mode", "shown"),
    [
        (Campaign.ModerationMode.PRE, {State.APPROVED}),
        (Campaign.ModerationMode.POST, {State.APPROVED, State.PENDING}),
    ],
)
def test_moderation_mode_decides_what_the_gallery_shows(mode: str, shown: set[str]) -> None:
    campaign = CampaignFactory(moderation_mode=mode)
    for state in State.values:
        SubmissionFactory(campaign=campaign, state=state)
    SubmissionFactory(state=State.APPROVED)  # another campaign's

    page, _cursor = gallery_page(campaign=campaign, order="newest", limit=50, cursor=None)

    assert {entry.state for entry in page} == shown
    assert len(page) == len(shown)


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 !!",
        "e30",  # {}
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(
            json.dumps({"o": "newest", "t": "yesterday", "i": 1}).encode()
        ).decode(),
        base64.urlsafe_b64encode(
            json.dumps({"o": "newest", "t": "2025-01-01T00:00:00", "i": 1}).encode()
        ).decode(),
        base64.urlsafe_b64encode(
            json.dumps({"o": "newest", "t": "2025-01-01T00:00:00+00:00", "i": "1"}).encode()
        ).decode(),
        base64.urlsafe_b64encode(
            json.dumps({"o": "most_liked", "t": "2025-01-01T00:00:00+00:00", "i": 1}).encode()
        ).decode(),
    ],
)
def test_malformed_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        gallery_page(campaign=CampaignFactory(), order="newest", limit=10, cursor=cursor)

    assert excinfo.value.code == "invalid_cursor"


def test_a_cursor_of_another_order_is_refused() -> None:
    campaign = CampaignFactory()
    _entries(campaign, 3)
    _page, cursor = gallery_page(campaign=campaign, order="newest", limit=1, cursor=None)

    with pytest.raises(ApplicationError) as excinfo:
        gallery_page(campaign=campaign, order="most_liked", limit=1, cursor=cursor)

    assert excinfo.value.code == "invalid_cursor"


def test_unknown_order_is_refused() -> None:
    with pytest.raises(ApplicationError) as excinfo:
        gallery_page(campaign=CampaignFactory(), order="random", limit=10, cursor=None)

    assert excinfo.value.code == "invalid_order"


@pytest.mark.parametrize("count", [5, 50])
def test_gallery_page_is_one_query_whatever_its_size(count: int, django_assert_num_queries) -> None:
    campaign = CampaignFactory()
    _entries(campaign, count + 1)
    _page, cursor = gallery_page(campaign=campaign, order="newest", limit=count, cursor=None)

    with django_assert_num_queries(1):
        page, _next = gallery_page(campaign=campaign, order="newest", limit=count, cursor=None)
        for entry in page:
            assert entry.author.public_name
            assert entry.campaign.slug
    with django_assert_num_queries(1):
        gallery_page(campaign=campaign, order="most_liked", limit=count, cursor=None)
    with django_assert_num_queries(1):
        gallery_page(campaign=campaign, order="newest", limit=count, cursor=cursor)


# --- One entry -------------------------------------------------------------------------------


def _actors(entry: Submission) -> dict[str, object]:
    return {
        "anonymous": AnonymousUser(),
        "stranger": UserFactory(),
        "author": entry.author,
        "staff": UserFactory(is_staff=True),
    }


@pytest.mark.parametrize(
    ("state", "mode", "sees"),
    [
        (State.APPROVED, Campaign.ModerationMode.PRE, {"anonymous", "stranger", "author", "staff"}),
        (State.PENDING, Campaign.ModerationMode.POST, {"anonymous", "stranger", "author", "staff"}),
        (State.PENDING, Campaign.ModerationMode.PRE, {"author", "staff"}),
        (State.HIDDEN, Campaign.ModerationMode.POST, {"author", "staff"}),
        (State.REJECTED, Campaign.ModerationMode.POST, {"author", "staff"}),
    ],
)
def test_who_sees_an_entry(state: str, mode: str, sees: set[str]) -> None:
    entry = SubmissionFactory(state=state, campaign=CampaignFactory(moderation_mode=mode))

    for name, user in _actors(entry).items():
        if name in sees:
            found = submission_get_public(submission_id=entry.pk, user=user)
            assert found.pk == entry.pk
            assert found.is_public == (len(sees) == 4)
        else:
            with pytest.raises(Http404):
                submission_get_public(submission_id=entry.pk, user=user)


def test_an_entry_of_a_draft_campaign_is_not_public() -> None:
    entry = SubmissionFactory(campaign=CampaignFactory(status=Campaign.Status.DRAFT))

    with pytest.raises(Http404):
        submission_get_public(submission_id=entry.pk, user=AnonymousUser())


def test_a_missing_entry_is_404() -> None:
    with pytest.raises(Http404):
        submission_get_public(submission_id=987_654, user=UserFactory(is_staff=True))


def test_one_entry_is_one_query(django_assert_num_queries) -> None:
    entry = SubmissionFactory()

    with django_assert_num_queries(1):
        found = submission_get_public(submission_id=entry.pk, user=AnonymousUser())
        assert found.campaign.brand.name
        assert found.author.public_name


# --- Own entries, comments, counts -----------------------------------------------------------


def test_own_entries_in_every_state_newest_first(django_assert_num_queries) -> None:
    author = UserFactory()
    entries = [SubmissionFactory(author=author, state=state) for state in State.values]
    SubmissionFactory()

    with django_assert_num_queries(1):
        own = list(submissions_for_author(user=author))
        assert all(entry.campaign.brand.name for entry in own)

    assert [entry.pk for entry in own] == [entry.pk for entry in reversed(entries)]
    assert list(submissions_for_author(user=AnonymousUser())) == []


def test_hidden_comments_only_to_their_author_and_staff() -> None:
    entry = SubmissionFactory()
    shown = CommentFactory(submission=entry)
    hidden = CommentFactory(submission=entry, is_hidden=True)

    def visible_to(user) -> list[int]:
        return [c.pk for c in comments_for_submission(submission=entry, user=user)]

    assert visible_to(AnonymousUser()) == [shown.pk]
    assert visible_to(UserFactory()) == [shown.pk]
    assert visible_to(hidden.author) == [shown.pk, hidden.pk]
    assert visible_to(UserFactory(is_staff=True)) == [shown.pk, hidden.pk]


def test_comments_are_one_query(django_assert_num_queries) -> None:
    entry = SubmissionFactory()
    CommentFactory.create_batch(5, submission=entry)

    with django_assert_num_queries(1):
        for comment in comments_for_submission(submission=entry, user=AnonymousUser()):
            assert comment.author.public_name


def test_counts_by_state_in_one_query(django_assert_num_queries) -> None:
    first, second, empty = CampaignFactory(), CampaignFactory(), CampaignFactory()
    SubmissionFactory.create_batch(2, campaign=first, state=State.PENDING)
    SubmissionFactory(campaign=first, state=State.REJECTED)
    SubmissionFactory(campaign=second, state=State.APPROVED)
    SubmissionFactory(state=State.APPROVED)  # not asked for

    with django_assert_num_queries(1):
        counts = submission_counts_by_state(campaign_ids=[first.pk, second.pk, empty.pk])

    assert counts == {
        first.pk: {"pending": 2, "approved": 0, "rejected": 1, "hidden": 0},
        second.pk: {"pending": 0, "approved": 1, "rejected": 0, "hidden": 0},
        empty.pk: {"pending": 0, "approved": 0, "rejected": 0, "hidden": 0},
    }
    assert submission_counts_by_state(campaign_ids=[]) == {}
