"""Grouped notifications: the services and hooks, their page, and the nav badge's count."""

from __future__ import annotations

import html
import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connections, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from sharing.context_processors import unread_notifications
from sharing.links import share_link_get_or_create
from sharing.models import Notification, ShareClick, ShareHit, Standing
from sharing.notifications import (
    notification_add,
    notifications_for,
    notifications_mark_read,
    notifications_unread_count,
    notify_comment,
    notify_likes,
    notify_rank_change,
    notify_rank_rises,
    notify_reach,
    shares_reach,
)
from tests.factories import CommentFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


def _rows(user) -> list[tuple[str, int, int, bool]]:
    """(kind, count, value, unread) of each of the person's notifications, oldest first."""
    rows = Notification.objects.filter(user=user).order_by("pk")
    return [(r.kind, r.count, r.value, r.read_at is None) for r in rows]


# --- Grouping --------------------------------------------------------------------------------


def test_two_likes_make_one_row_with_count_two(entry, author):
    notify_likes(submission_id=entry.pk, new_likes=1)
    notify_likes(submission_id=entry.pk, new_likes=1)

    assert _rows(author) == [(Kind.LIKED, 2, 0, True)]
    row = Notification.objects.get(user=author)
    assert row.submission_id == entry.pk
    assert row.campaign_id == entry.campaign_id


def test_news_after_reading_starts_a_new_row(entry, author):
    notify_likes(submission_id=entry.pk, new_likes=3)
    assert notifications_mark_read(user=author) == 1

    notify_likes(submission_id=entry.pk, new_likes=1)

    assert _rows(author) == [(Kind.LIKED, 3, 0, False), (Kind.LIKED, 1, 0, True)]
    assert notifications_unread_count(user=author) == 1


def test_each_entry_and_each_kind_groups_apart(campaign, entry, author):
    second = SubmissionFactory(campaign=campaign, author=author)

    notify_likes(submission_id=entry.pk, new_likes=1)
    notify_likes(submission_id=second.pk, new_likes=1)
    notify_comment(comment=CommentFactory(submission=entry))
    notify_comment(comment=CommentFactory(submission=entry))

    assert sorted((k, c) for k, c, _v, _u in _rows(author)) == [
        (Kind.COMMENTED, 2),
        (Kind.LIKED, 1),
        (Kind.LIKED, 1),
    ]


def test_campaign_news_groups_per_campaign_with_the_latest_value(campaign, author):
    notification_add(user=author, kind=Kind.RANK_UP, campaign=campaign, value=7)
    notification_add(user=author, kind=Kind.RANK_UP, campaign=campaign.pk, value=4)

    assert _rows(author) == [(Kind.RANK_UP, 2, 4, True)]


def test_a_notification_is_about_something(author):
    with pytest.raises(ValueError, match="entry or a campaign"):
        notification_add(user=author, kind=Kind.LIKED)


def test_the_database_refuses_a_second_unread_row(entry, author):
    Notification.objects.create(user=author, kind=Kind.LIKED, submission=entry)

    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(user=author, kind=Kind.LIKED, submission=entry)


def test_the_database_refuses_a_second_unread_campaign_row(campaign, author):
    Notification.objects.create(user=author, kind=Kind.REACH, campaign=campaign)

    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(user=author, kind=Kind.REACH, campaign=campaign)


def test_a_lost_insert_falls_back_to_the_row_that_won(entry, author, monkeypatch):
    """The race, step by step: our update finds nothing, a concurrent call inserts the row,
    our insert hits the constraint; the savepoint keeps the transaction usable and the retried
    update counts our news on the winner's row."""
    from sharing import notifications

    real = notifications._unread
    calls = {"n": 0}

    def racing_unread(**key):
        calls["n"] += 1
        if calls["n"] == 1:  # our first look: nothing yet, then the other call commits its row
            Notification.objects.create(user=author, kind=Kind.LIKED, submission=entry, count=5)
            return Notification.objects.none()
        return real(**key)

    monkeypatch.setattr(notifications, "_unread", racing_unread)

    with transaction.atomic():
        row = notification_add(user=author, kind=Kind.LIKED, submission=entry, count=2)
        assert Notification.objects.count() == 1  # the transaction is still usable

    assert row.count == 7
    assert _rows(author) == [(Kind.LIKED, 7, 0, True)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_news_leaves_one_row_with_every_count():
    entry = SubmissionFactory()
    author = entry.author
    workers = 8
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def add() -> None:
        try:
            barrier.wait(10)
            notification_add(user=author.pk, kind=Kind.LIKED, submission=entry.pk, count=1)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert _rows(author) == [(Kind.LIKED, workers, 0, True)]


# --- The hooks -------------------------------------------------------------------------------


def test_notify_likes_ignores_nothing_new_and_missing_entries(entry, author):
    assert notify_likes(submission_id=entry.pk, new_likes=0) is None
    assert notify_likes(submission_id=987654, new_likes=2) is None
    assert _rows(author) == []


def test_notify_likes_keeps_hidden_counts_hidden(campaign, entry, author):
    Campaign.objects.filter(pk=campaign.pk).update(hide_live_counts=True)

    assert notify_likes(submission_id=entry.pk, new_likes=2) is None
    assert _rows(author) == []


def test_notify_comment_skips_the_authors_own(entry, author):
    assert notify_comment(comment=CommentFactory(submission=entry, author=author)) is None
    assert notify_comment(comment=CommentFactory(submission=entry)) is not None

    assert _rows(author) == [(Kind.COMMENTED, 1, 0, True)]


@pytest.mark.parametrize(
    ("old", "new", "told"),
    [(7, 4, True), (4, 7, False), (4, 4, False), (None, 3, False), (3, None, False)],
)
def test_notify_rank_change_only_tells_a_move_up(campaign, author, old, new, told):
    row = notify_rank_change(
        campaign_id=campaign.pk, participant_id=author.pk, old_rank=old, new_rank=new
    )

    assert (row is not None) is told
    assert _rows(author) == ([(Kind.RANK_UP, 1, new, True)] if told else [])


@pytest.mark.parametrize("secret", ["hidden", "frozen"])
def test_notify_rank_change_keeps_a_secret_board_secret(campaign, author, secret):
    if secret == "hidden":
        Campaign.objects.filter(pk=campaign.pk).update(hide_live_counts=True)
    else:
        Campaign.objects.filter(pk=campaign.pk).update(
            ends_at=timezone.now() + timedelta(hours=2), leaderboard_freeze_hours=6
        )

    row = notify_rank_change(
        campaign_id=campaign.pk, participant_id=author.pk, old_rank=5, new_rank=2
    )

    assert row is None


@pytest.fixture
def ranked(campaign, award):
    """Ana 30, Ben 20, Cy 10 points."""
    people = {name: UserFactory(display_name=name) for name in ("Ana", "Ben", "Cy")}
    for name, points in (("Ana", 30), ("Ben", 20), ("Cy", 10)):
        award(campaign, people[name], points)
    return people


@pytest.mark.parametrize("stored", [False, True])
def test_notify_rank_rises_tells_the_new_rank(campaign, ranked, stored):
    cy = ranked["Cy"]
    if stored:  # called after the new total is stored: Cy's own row is not counted
        Standing.objects.filter(participant=cy).update(points=25)

    told = notify_rank_rises(campaign_id=campaign.pk, rises=[(cy.pk, 10, 25)])

    assert told == 1
    assert _rows(cy) == [(Kind.RANK_UP, 1, 2, True)]


@pytest.mark.parametrize(
    ("old", "new"),
    [(10, 15), (0, 40), (20, 10)],
    ids=["rose-but-same-rank", "first-points", "fell"],
)
def test_notify_rank_rises_is_quiet_without_a_move_up(campaign, ranked, old, new):
    told = notify_rank_rises(campaign_id=campaign.pk, rises=[(ranked["Cy"].pk, old, new)])

    assert told == 0
    assert _rows(ranked["Cy"]) == []


def test_notify_rank_rises_only_within_the_top(campaign, ranked, monkeypatch):
    from sharing import notifications

    monkeypatch.setattr(notifications, "RANK_NEWS_TOP", 1)
    cy, ben = ranked["Cy"], ranked["Ben"]

    assert notify_rank_rises(campaign_id=campaign.pk, rises=[(cy.pk, 10, 25)]) == 0  # to #2
    assert notify_rank_rises(campaign_id=campaign.pk, rises=[(ben.pk, 20, 35)]) == 1  # to #1
    assert _rows(ben) == [(Kind.RANK_UP, 1, 1, True)]


def test_notify_reach_tells_a_total_once_and_only_when_it_grows(campaign, author):
    notify_reach(link_owner_id=author.pk, campaign_id=campaign.pk, total_people=3)
    notify_reach(link_owner_id=author.pk, campaign_id=campaign.pk, total_people=3)
    notify_reach(link_owner_id=author.pk, campaign_id=campaign.pk, total_people=5)
    notifications_mark_read(user=author)
    notify_reach(link_owner_id=author.pk, campaign_id=campaign.pk, total_people=5)
    notify_reach(link_owner_id=author.pk, campaign_id=campaign.pk, total_people=0)

    assert _rows(author) == [(Kind.REACH, 2, 5, False)]

    notify_reach(link_owner_id=author.pk, campaign_id=campaign.pk, total_people=12)

    assert _rows(author)[-1] == (Kind.REACH, 1, 12, True)


def test_shares_reach_counts_distinct_visitors_of_a_sharers_links(campaign, entry, author):
    second = SubmissionFactory(campaign=campaign, author=author)
    elsewhere = SubmissionFactory(author=author)
    today = timezone.now().date()
    for submission, visitor in [
        (entry, "v1"),
        (entry, "v2"),
        (second, "v1"),  # the same person on another link the same day
        (elsewhere, "v3"),  # another campaign
    ]:
        link = share_link_get_or_create(submission=submission, owner=author)
        hit = ShareHit.objects.create(link=link, visitor=visitor, method="GET")
        ShareClick.objects.create(link=link, visitor=visitor, day=today, channel="direct", hit=hit)

    assert shares_reach(link_owner_id=author.pk, campaign_id=campaign.pk) == 2


# --- The page and the badge ------------------------------------------------------------------


@pytest.fixture
def news(campaign, entry, author):
    notify_likes(submission_id=entry.pk, new_likes=5)
    for _ in range(3):
        notify_comment(comment=CommentFactory(submission=entry))
    notify_rank_change(campaign_id=campaign.pk, participant_id=author.pk, old_rank=9, new_rank=4)
    notify_reach(link_owner_id=author.pk, campaign_id=campaign.pk, total_people=12)
    untitled = SubmissionFactory(campaign=campaign, author=author, caption="")
    notify_likes(submission_id=untitled.pk, new_likes=1)
    return untitled


def test_the_page_says_each_news_in_plain_language(signed_in, author, entry, campaign, news):
    body = html.unescape(signed_in(author).get(reverse("notifications")).content.decode())

    assert "5 new likes on your entry “Sunrise”" in body
    assert "3 new comments on your entry “Sunrise”" in body
    assert "You moved up to #4 in “Summer stories”" in body
    assert "Your shares reached 12 people in “Summer stories”" in body
    assert "1 new like on your entry in “Summer stories”" in body
    assert "5 new notifications." in body
    assert body.count("notification--unread") == 5
    assert f'href="/entries/{entry.pk}/#comments"' in body
    assert f'href="/c/{campaign.slug}/leaderboard/"' in body
    assert f'href="/c/{campaign.slug}/points/"' in body
    assert "Mark all read" in body


def test_viewing_does_not_mark_read_the_button_does(signed_in, author, news):
    client = signed_in(author)
    client.get(reverse("notifications"))
    assert notifications_unread_count(user=author) == 5

    response = client.post(reverse("notifications"), follow=True)

    body = response.content.decode()
    assert response.redirect_chain == [(reverse("notifications"), 302)]
    assert notifications_unread_count(user=author) == 0
    assert "All caught up" in body
    assert "notification--unread" not in body
    assert "Mark all read" not in body
    assert "0 new notifications." in body


def test_the_page_is_ones_own(signed_in, fan, news, client):
    body = signed_in(fan).get(reverse("notifications")).content.decode()

    assert "Sunrise" not in body
    assert "Nothing new yet." in body
    response = client.get(reverse("notifications"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert client.post(reverse("notifications")).status_code == 302


def test_a_caption_is_escaped(signed_in, campaign, author):
    evil = SubmissionFactory(campaign=campaign, author=author, caption="<img src=x>")
    notify_likes(submission_id=evil.pk, new_likes=1)

    body = signed_in(author).get(reverse("notifications")).content.decode()

    assert "<img src=x>" not in body
    assert "&lt;img src=x&gt;" in body


def test_notifications_for_is_newest_first_and_limited(author, news):
    items = notifications_for(user=author, limit=2)

    assert len(items) == 2
    assert items[0].text == "1 new like on your entry in “Summer stories”"
    assert all(item.unread for item in items)


def test_the_badge_count_costs_nothing_until_read_and_one_count_after(
    author, news, django_assert_num_queries
):
    request = RequestFactory().get("/")
    request.user = author

    with django_assert_num_queries(0):
        context = unread_notifications(request)
    with django_assert_num_queries(1):
        assert int(str(context["unread_notifications"])) == 5
        assert context["unread_notifications"]


def test_the_badge_is_zero_for_anonymous_visitors(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    with django_assert_num_queries(0):
        context = unread_notifications(request)
        assert not context["unread_notifications"]
