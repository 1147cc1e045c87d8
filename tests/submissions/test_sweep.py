"""What a lost task left undone is done by the sweep: thumbnails and moderation emails, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from submissions.models import ModerationDecision, Submission
from submissions.services import submission_create, submission_moderate, submissions_sweep
from tests import imagefiles
from tests.factories import SubmissionFactory
from tests.submissions.helpers import photo

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=5)


def test_a_photo_whose_thumbnail_task_never_ran_gets_its_thumbnails(
    campaign, participant, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # the tasks are lost
        entry = submission_create(
            campaign=campaign,
            author=participant,
            kind="photo",
            image=photo(imagefiles.jpeg_bytes(size=(800, 600))),
        )
    assert not Submission.objects.get(pk=entry.pk).thumb_small

    assert submissions_sweep(now=timezone.now())["thumbnails"] == 0  # too fresh: its task may run
    done = submissions_sweep(now=timezone.now() + LATER)

    entry.refresh_from_db()
    assert done["thumbnails"] == 1
    assert all(getattr(entry, f) for f in ("thumb_small", "thumb_medium", "thumb_large"))
    assert submissions_sweep(now=timezone.now() + LATER)["thumbnails"] == 0


def _approved_with_its_email_task_lost(moderator, capture) -> Submission:
    entry = SubmissionFactory(state=Submission.State.PENDING)
    with capture(execute=False):  # the email task is lost
        submission_moderate(submission=entry, moderator=moderator, action="approve")
    return entry


def test_a_decision_whose_email_task_never_ran_is_emailed_once(
    moderator, django_capture_on_commit_callbacks
) -> None:
    entry = _approved_with_its_email_task_lost(moderator, django_capture_on_commit_callbacks)
    assert mail.outbox == []

    assert submissions_sweep(now=timezone.now() + LATER)["emails"] == 1
    assert submissions_sweep(now=timezone.now() + LATER)["emails"] == 0

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [entry.author.email]
    assert ModerationDecision.objects.get().notified_at is not None


def test_decisions_older_than_a_week_are_left_alone(
    moderator, django_capture_on_commit_callbacks
) -> None:
    _approved_with_its_email_task_lost(moderator, django_capture_on_commit_callbacks)

    assert submissions_sweep(now=timezone.now() + timedelta(days=8))["emails"] == 0
    assert mail.outbox == []
