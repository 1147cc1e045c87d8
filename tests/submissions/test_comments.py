"""Comments: verified people, on public entries; authors edit and delete; counts stay true."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from core.exceptions import ApplicationError, PermissionDenied
from submissions.models import Comment, Submission
from submissions.services import comment_create, comment_delete, comment_update
from tests.factories import CampaignFactory, CommentFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry() -> Submission:
    return SubmissionFactory()


def test_comment_is_stored_as_typed_and_counted(entry, participant) -> None:
    comment = comment_create(
        submission=entry, author=participant, body="  <b>Nice</b> https://x.example  "
    )

    assert comment.body == "<b>Nice</b> https://x.example"
    entry.refresh_from_db()
    assert entry.comment_count == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "comment_empty"), ("   \n ", "comment_empty"), ("x" * 1001, "comment_too_long")],
)
def test_body_must_be_1_to_1000_characters(entry, participant, body: str, code: str) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        comment_create(submission=entry, author=participant, body=body)

    assert excinfo.value.code == code
    assert "body" in excinfo.value.fields
    assert Comment.objects.count() == 0


def test_exactly_1000_characters_is_accepted(entry, participant) -> None:
    assert len(comment_create(submission=entry, author=participant, body="x" * 1000).body) == 1000


@pytest.mark.parametrize("who", ["unverified", "inactive"])
def test_only_active_verified_people_comment(entry, who: str) -> None:
    author = UserFactory(verified=False) if who == "unverified" else UserFactory(is_active=False)

    with pytest.raises(PermissionDenied) as excinfo:
        comment_create(submission=entry, author=author, body="Hi")

    assert excinfo.value.code == "email_unverified"


@pytest.mark.parametrize(
    ("state", "mode", "status"),
    [
        (Submission.State.PENDING, Campaign.ModerationMode.PRE, Campaign.Status.PUBLISHED),
        (Submission.State.HIDDEN, Campaign.ModerationMode.POST, Campaign.Status.PUBLISHED),
        (Submission.State.REJECTED, Campaign.ModerationMode.POST, Campaign.Status.PUBLISHED),
        (Submission.State.APPROVED, Campaign.ModerationMode.POST, Campaign.Status.DRAFT),
    ],
    ids=["pending-pre", "hidden", "rejected", "draft-campaign"],
)
def test_entries_the_public_cannot_see_take_no_comments(participant, state, mode, status) -> None:
    campaign = CampaignFactory(moderation_mode=mode, status=status)
    entry = SubmissionFactory(campaign=campaign, state=state)

    with pytest.raises(ApplicationError) as excinfo:
        comment_create(submission=entry, author=participant, body="Hi")

    assert excinfo.value.code == "not_commentable"
    assert Comment.objects.count() == 0


def test_pending_entry_under_post_moderation_takes_comments(participant) -> None:
    campaign = CampaignFactory(moderation_mode=Campaign.ModerationMode.POST)
    entry = SubmissionFactory(campaign=campaign, state=Submission.State.PENDING)

    assert comment_create(submission=entry, author=participant, body="Hi").pk


def test_author_edits_and_the_comment_says_so(entry) -> None:
    comment = CommentFactory(submission=entry)

    edited = comment_update(comment=comment, actor=comment.author, body=" Better words ")

    assert edited.body == "Better words"
    assert edited.edited_at is not None


@pytest.mark.parametrize("actor", ["someone", "staff"])
def test_only_the_author_edits(entry, actor: str) -> None:
    comment = CommentFactory(submission=entry)
    other = UserFactory(is_staff=actor == "staff")

    with pytest.raises(PermissionDenied) as excinfo:
        comment_update(comment=comment, actor=other, body="Mine now")

    assert excinfo.value.code == "not_author"
    comment.refresh_from_db()
    assert comment.body == "Lovely!"
    assert comment.edited_at is None


def test_edit_body_rules_hold(entry) -> None:
    comment = CommentFactory(submission=entry)

    with pytest.raises(ApplicationError) as excinfo:
        comment_update(comment=comment, actor=comment.author, body=" ")

    assert excinfo.value.code == "comment_empty"


@pytest.mark.parametrize("actor", ["author", "staff"])
def test_author_or_staff_delete_and_the_count_follows(entry, participant, actor: str) -> None:
    comment = comment_create(submission=entry, author=participant, body="One")
    comment_create(submission=entry, author=UserFactory(), body="Two")
    who = participant if actor == "author" else UserFactory(is_staff=True)

    comment_delete(comment=comment, actor=who)

    assert not Comment.objects.filter(pk=comment.pk).exists()
    entry.refresh_from_db()
    assert entry.comment_count == 1


def test_someone_else_cannot_delete(entry) -> None:
    comment = CommentFactory(submission=entry)

    with pytest.raises(PermissionDenied):
        comment_delete(comment=comment, actor=UserFactory())

    assert Comment.objects.filter(pk=comment.pk).exists()


def test_comment_count_is_a_recount_of_visible_comments(entry, participant) -> None:
    CommentFactory.create_batch(2, submission=entry)
    CommentFactory(submission=entry, is_hidden=True)
    Submission.objects.filter(pk=entry.pk).update(comment_count=99)  # drifted

    comment_create(submission=entry, author=participant, body="Hi")

    entry.refresh_from_db()
    assert entry.comment_count == 3
