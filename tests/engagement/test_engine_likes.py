"""Likes: who may like what, one live like per person and entry, and the hot path stays small."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import BrandMembership
from core.exceptions import ApplicationError
from submissions.likes import _like_insert_if_allowed, like_create, like_remove, like_submit
from submissions.models import Like, Submission
from tests.engagement.engine_support import ledger_of
from tests.factories import (
    CampaignFactory,
    MembershipFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _entry(**campaign_fields: object) -> Submission:
    return SubmissionFactory(campaign=CampaignFactory(**campaign_fields))


def test_a_verified_person_likes_an_approved_entry(entry, fan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        like = like_create(user=fan, submission=entry)

    assert like.user == fan
    assert like.removed_at is None
    entry.refresh_from_db()
    assert entry.like_count == 1
    assert Like.objects.get(pk=like.pk).derived_at is not None


def test_like_twice_keeps_one_like(entry, fan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = like_create(user=fan, submission=entry)
        second = like_create(user=fan, submission=entry)

    assert second.pk == first.pk
    assert Like.objects.filter(submission=entry).count() == 1
    entry.refresh_from_db()
    assert entry.like_count == 1
    assert ledger_of(entry.author, entry.campaign).count(("like", 1)) == 1


def test_unlike_then_like_again_makes_a_new_row(
    entry, fan, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = like_create(user=fan, submission=entry)
    with django_capture_on_commit_callbacks(execute=True):
        removed = like_remove(user=fan, submission=entry)
    entry.refresh_from_db()
    assert entry.like_count == 0
    with django_capture_on_commit_callbacks(execute=True):
        again = like_create(user=fan, submission=entry)

    assert removed is not None
    assert removed.pk == first.pk
    assert removed.removed_at is not None
    assert again.pk != first.pk
    assert Like.objects.filter(submission=entry).count() == 2
    entry.refresh_from_db()
    assert entry.like_count == 1
    assert ledger_of(entry.author, entry.campaign) == [
        ("entry", 10),
        ("like", 1),
        ("unlike", -1),
        ("like", 1),
    ]


def test_unlike_without_a_like_is_none(entry, fan) -> None:
    assert like_remove(user=fan, submission=entry) is None


def test_unlike_returns_the_stored_row(entry, fan) -> None:
    like = like_create(user=fan, submission=entry)

    removed = like_remove(user=fan, submission=entry)

    stored = Like.objects.get(pk=like.pk)
    assert removed == stored
    assert removed.created_at == stored.created_at
    assert removed.removed_at == stored.removed_at
    assert stored.derived_at is None


REFUSALS = pytest.mark.parametrize(
    ("make", "code"),
    [
        pytest.param(lambda e, fan: (e, e.author), "own_entry", id="own-entry"),
        pytest.param(
            lambda e, fan: (e, UserFactory(verified=False)), "email_unverified", id="unverified"
        ),
        pytest.param(
            lambda e, fan: (e, UserFactory(is_active=False)), "email_unverified", id="inactive"
        ),
        *[
            pytest.param(
                lambda e, fan, role=role: (
                    e,
                    MembershipFactory(brand=e.campaign.brand, role=role).user,
                ),
                "brand_member",
                id=f"brand-{role}",
            )
            for role in BrandMembership.Role.values
        ],
        *[
            pytest.param(
                lambda e, fan, state=state: (
                    SubmissionFactory(campaign=e.campaign, state=state),
                    fan,
                ),
                "not_likeable",
                id=f"entry-{state}",
            )
            for state in ("pending", "rejected", "hidden")
        ],
        pytest.param(
            lambda e, fan: (
                _entry(
                    starts_at=timezone.now() - timedelta(days=10),
                    ends_at=timezone.now() - timedelta(days=1),
                ),
                fan,
            ),
            "campaign_not_open",
            id="closed",
        ),
        pytest.param(
            lambda e, fan: (
                _entry(
                    starts_at=timezone.now() + timedelta(days=1),
                    ends_at=timezone.now() + timedelta(days=10),
                ),
                fan,
            ),
            "campaign_not_open",
            id="scheduled",
        ),
        pytest.param(lambda e, fan: (_entry(status="draft"), fan), "campaign_not_open", id="draft"),
    ],
)


@REFUSALS
def test_like_is_refused(entry, fan, make, code) -> None:
    submission, user = make(entry, fan)

    with pytest.raises(ApplicationError) as refused:
        like_create(user=user, submission=submission)

    assert refused.value.code == code
    assert str(refused.value.message)
    assert not Like.objects.exists()


@REFUSALS
def test_the_one_statement_like_refuses_what_the_rules_refuse(entry, fan, make, code) -> None:
    """`like_submit`'s single INSERT ... SELECT holds the same rules as `like_create`: it
    inserts nothing, and the refusal is the same rule's (or a 404 where the entry is not
    visible to the person at all, as on its page)."""
    submission, user = make(entry, fan)

    assert _like_insert_if_allowed(user=user, submission_id=submission.pk) is None
    with pytest.raises((ApplicationError, Http404)) as refused:
        like_submit(user=user, submission_id=submission.pk)

    if isinstance(refused.value, ApplicationError):
        assert refused.value.code == code
    else:
        assert code in {"not_likeable", "campaign_not_open"}
    assert not Like.objects.exists()


def test_the_one_statement_like_is_the_whole_hot_path(entry, fan) -> None:
    with CaptureQueriesContext(connection) as queries:
        like, created = like_submit(user=fan, submission_id=entry.pk)

    assert created
    assert [q["sql"].split()[0].upper() for q in queries.captured_queries] == ["INSERT"]
    stored = Like.objects.get()
    assert (stored.pk, stored.user_id, stored.submission_id) == (like.pk, fan.pk, entry.pk)
    assert stored.created_at == like.created_at
    assert stored.removed_at is None
    assert stored.derived_at is None


def test_liking_twice_by_id_returns_the_live_like(entry, fan) -> None:
    first, first_created = like_submit(user=fan, submission_id=entry.pk)
    second, second_created = like_submit(user=fan, submission_id=entry.pk)

    assert (first_created, second_created) == (True, False)
    assert second.pk == first.pk
    assert Like.objects.count() == 1


@pytest.mark.parametrize("submission_id", [987654321, 0, 2**63, 10**30])
def test_liking_a_missing_entry_by_id_is_404(fan, submission_id) -> None:
    with pytest.raises(Http404):
        like_submit(user=fan, submission_id=submission_id)


def test_a_brand_member_of_another_brand_may_like(entry, fan) -> None:
    MembershipFactory(user=fan)  # some other brand

    assert like_create(user=fan, submission=entry).pk


def test_unlike_after_the_close_is_refused(entry, fan) -> None:
    like_create(user=fan, submission=entry)
    entry.campaign.ends_at = timezone.now() - timedelta(seconds=1)
    entry.campaign.starts_at = entry.campaign.ends_at - timedelta(days=1)
    entry.campaign.save()

    with pytest.raises(ApplicationError) as refused:
        like_remove(user=fan, submission=entry)

    assert refused.value.code == "campaign_not_open"
    assert Like.objects.get().removed_at is None


def test_the_like_hot_path_is_one_read_and_one_insert(entry, fan) -> None:
    submission = Submission.objects.select_related("campaign").get(pk=entry.pk)

    with CaptureQueriesContext(connection) as queries:
        like_create(user=fan, submission=submission)

    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements.count("INSERT") == 1
    assert statements.count("SELECT") == 1
    assert "UPDATE" not in statements


def test_the_unlike_hot_path_is_one_update(entry, fan) -> None:
    like_create(user=fan, submission=entry)
    submission = Submission.objects.select_related("campaign").get(pk=entry.pk)

    with CaptureQueriesContext(connection) as queries:
        like_remove(user=fan, submission=submission)

    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["UPDATE"]


def test_liking_enqueues_the_derivation_after_commit(
    entry, fan, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        like_create(user=fan, submission=entry)

    assert len(callbacks) == 1
    entry.refresh_from_db()
    assert entry.like_count == 0  # nothing derived in the request itself
