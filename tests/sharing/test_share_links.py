"""Personal share links: who gets one, what a code looks like, and the cached lookup."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from campaigns.models import Campaign
from core.exceptions import ApplicationError
from sharing import links
from sharing.links import share_link_get_or_create, share_target_get
from sharing.models import ShareHit, ShareLink
from submissions.models import Submission
from tests.factories import CampaignFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_the_author_gets_one_link_per_entry(entry, author) -> None:
    first = share_link_get_or_create(submission=entry, owner=author)
    again = share_link_get_or_create(submission=entry, owner=author)

    assert first.pk == again.pk
    assert first.is_new
    assert not again.is_new
    assert ShareLink.objects.count() == 1


def test_codes_are_short_url_safe_and_different(author, campaign) -> None:
    codes = {
        share_link_get_or_create(
            submission=SubmissionFactory(campaign=campaign, author=author), owner=author
        ).code
        for _ in range(40)
    }

    assert len(codes) == 40
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{9}", code)


def test_a_code_collision_draws_another_code(entry, author, campaign, monkeypatch) -> None:
    taken = share_link_get_or_create(
        submission=SubmissionFactory(campaign=campaign, author=author), owner=author
    ).code
    draws = iter([taken, "Fresh0Code"])
    monkeypatch.setattr(links, "_new_code", lambda: next(draws))

    link = share_link_get_or_create(submission=entry, owner=author)

    assert link.code == "Fresh0Code"


def test_only_the_author_gets_a_link(entry) -> None:
    with pytest.raises(ApplicationError) as refused:
        share_link_get_or_create(submission=entry, owner=UserFactory())

    assert refused.value.code == "not_author"
    assert refused.value.status_code == 403
    assert not ShareLink.objects.exists()


@pytest.mark.parametrize(
    ("state", "mode", "status", "shareable"),
    [
        (Submission.State.APPROVED, "pre", Campaign.Status.PUBLISHED, True),
        (Submission.State.PENDING, "post", Campaign.Status.PUBLISHED, True),
        (Submission.State.PENDING, "pre", Campaign.Status.PUBLISHED, False),
        (Submission.State.HIDDEN, "post", Campaign.Status.PUBLISHED, False),
        (Submission.State.REJECTED, "pre", Campaign.Status.PUBLISHED, False),
        (Submission.State.APPROVED, "pre", Campaign.Status.DRAFT, False),
    ],
)
def test_only_entries_the_public_sees_are_shareable(state, mode, status, shareable) -> None:
    campaign = CampaignFactory(moderation_mode=mode, status=status)
    entry = SubmissionFactory(campaign=campaign, state=state)

    if shareable:
        assert share_link_get_or_create(submission=entry, owner=entry.author)
    else:
        with pytest.raises(ApplicationError) as refused:
            share_link_get_or_create(submission=entry, owner=entry.author)
        assert refused.value.code == "not_shareable"


def test_a_known_code_resolves_from_the_cache_without_queries(
    link, django_assert_num_queries
) -> None:
    with django_assert_num_queries(0):
        target = share_target_get(code=link.code)

    assert (target.link_id, target.submission_id, target.owner_id) == (
        link.pk,
        link.submission_id,
        link.owner_id,
    )


def test_a_cache_miss_reads_the_database_once_then_caches(link, django_assert_num_queries) -> None:
    cache.clear()
    with django_assert_num_queries(1):
        assert share_target_get(code=link.code).link_id == link.pk
    with django_assert_num_queries(0):
        assert share_target_get(code=link.code).link_id == link.pk


def test_an_unknown_code_is_remembered_briefly(django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        assert share_target_get(code="Unknown0001") is None
    with django_assert_num_queries(0):
        assert share_target_get(code="Unknown0001") is None
        assert share_target_get(code="not a code!") is None


def test_the_redirect_is_one_insert_on_a_warm_cache(link, entry, django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(1):
        response = client.get(f"/s/{link.code}", headers={"User-Agent": BROWSER})

    assert response.status_code == 302
    assert response["Location"] == f"/entries/{entry.pk}/"
    assert ShareHit.objects.count() == 1


def test_the_redirect_works_when_the_cache_is_down(link, entry, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(links.cache, "get", broken)
    monkeypatch.setattr(links.cache, "set", broken)

    response = Client().get(f"/s/{link.code}", headers={"User-Agent": BROWSER})

    assert response.status_code == 302
    assert response["Location"] == f"/entries/{entry.pk}/"
    assert ShareHit.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the foreign key is checked when the insert commits
def test_a_deleted_link_still_in_the_cache_is_a_404(link, entry) -> None:
    code = link.code
    assert share_target_get(code=code) is not None
    entry.delete()

    response = Client().get(f"/s/{code}", headers={"User-Agent": BROWSER})

    assert response.status_code == 404
    assert share_target_get(code=code) is None


def test_the_redirect_is_not_cached_by_browsers_or_proxies(link) -> None:
    response = Client().get(f"/s/{link.code}", headers={"User-Agent": BROWSER})

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
