"""Moderation: staff approve or reject entries and hide or restore comments; all is logged."""

from __future__ import annotations

import pytest
from django.core import mail

from core.exceptions import ApplicationError, Conflict, PermissionDenied
from submissions.models import Comment, ModerationDecision, Report, Submission
from submissions.services import (
    BulkResult,
    comment_moderate,
    submission_moderate,
    submissions_moderate_bulk,
)
from submissions.tasks import submission_decision_email_task
from tests.factories import CommentFactory, ReportFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

State = Submission.State


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (State.PENDING, "approve", State.APPROVED),
        (State.HIDDEN, "approve", State.APPROVED),
        (State.REJECTED, "approve", State.APPROVED),
        (State.PENDING, "reject", State.REJECTED),
        (State.APPROVED, "reject", State.REJECTED),
        (State.HIDDEN, "reject", State.REJECTED),
    ],
)
def test_allowed_transitions_change_state_and_write_the_log(
    moderator, start: str, action: str, end: str
) -> None:
    entry = SubmissionFactory(state=start)

    result = submission_moderate(
        submission=entry, moderator=moderator, action=action, reason=" Off topic "
    )

    assert result.state == end
    entry.refresh_from_db()
    assert entry.state == end
    assert entry.state_reason == "Off topic"
    assert entry.moderated_at is not None
    decision = ModerationDecision.objects.get(submission=entry)
    assert decision.moderator == moderator
    assert decision.action == action
    assert (decision.from_state, decision.to_state) == (start, end)
    assert decision.reason == "Off topic"


@pytest.mark.parametrize(
    ("start", "action"), [(State.APPROVED, "approve"), (State.REJECTED, "reject")]
)
def test_deciding_what_is_already_so_is_a_conflict(moderator, start: str, action: str) -> None:
    entry = SubmissionFactory(state=start)

    with pytest.raises(Conflict) as excinfo:
        submission_moderate(submission=entry, moderator=moderator, action=action, reason="x")

    assert excinfo.value.code == "already_in_state"
    assert not ModerationDecision.objects.exists()


def test_reject_requires_a_reason(moderator) -> None:
    entry = SubmissionFactory(state=State.PENDING)

    with pytest.raises(ApplicationError) as excinfo:
        submission_moderate(submission=entry, moderator=moderator, action="reject", reason="  ")

    assert excinfo.value.code == "reason_required"
    assert "reason" in excinfo.value.fields
    entry.refresh_from_db()
    assert entry.state == State.PENDING


def test_unknown_action_is_refused(moderator) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        submission_moderate(submission=SubmissionFactory(), moderator=moderator, action="delete")

    assert excinfo.value.code == "invalid_action"


@pytest.mark.parametrize("who", ["participant", "inactive-staff", "anonymous"])
def test_only_staff_moderate(who: str) -> None:
    from django.contrib.auth.models import AnonymousUser

    actor = {
        "participant": lambda: UserFactory(),
        "inactive-staff": lambda: UserFactory(is_staff=True, is_active=False),
        "anonymous": AnonymousUser,
    }[who]()
    entry = SubmissionFactory(state=State.PENDING)
    comment = CommentFactory(submission=entry)

    with pytest.raises(PermissionDenied):
        submission_moderate(submission=entry, moderator=actor, action="approve")
    with pytest.raises(PermissionDenied):
        submissions_moderate_bulk(submission_ids=[entry.pk], moderator=actor, action="approve")
    with pytest.raises(PermissionDenied):
        comment_moderate(comment=comment, moderator=actor, action="hide")

    entry.refresh_from_db()
    assert entry.state == State.PENDING
    assert not ModerationDecision.objects.exists()


def test_a_decision_resolves_the_open_reports(moderator) -> None:
    entry = SubmissionFactory(state=State.HIDDEN, report_count=3)
    ReportFactory.create_batch(3, submission=entry)

    submission_moderate(submission=entry, moderator=moderator, action="approve")

    entry.refresh_from_db()
    assert entry.report_count == 0
    assert not Report.objects.filter(resolved_at__isnull=True).exists()


def test_bulk_changes_what_it_can_and_skips_the_rest(moderator) -> None:
    pending = SubmissionFactory.create_batch(2, state=State.PENDING)
    rejected = SubmissionFactory(state=State.REJECTED)

    result = submissions_moderate_bulk(
        submission_ids=[pending[1].pk, rejected.pk, pending[0].pk, 999_999],
        moderator=moderator,
        action="reject",
        reason="Not on topic",
    )

    assert result == BulkResult(
        changed=sorted(entry.pk for entry in pending), skipped=sorted([rejected.pk, 999_999])
    )
    assert set(Submission.objects.values_list("state", flat=True)) == {State.REJECTED}
    assert ModerationDecision.objects.count() == 2


def test_bulk_reject_requires_a_reason(moderator) -> None:
    entry = SubmissionFactory(state=State.PENDING)

    with pytest.raises(ApplicationError) as excinfo:
        submissions_moderate_bulk(submission_ids=[entry.pk], moderator=moderator, action="reject")

    assert excinfo.value.code == "reason_required"


# --- Emails ----------------------------------------------------------------------------------


def test_approval_emails_the_author_after_commit(
    moderator, settings, django_capture_on_commit_callbacks
) -> None:
    settings.SITE_URL = "https://passaparola.example"
    entry = SubmissionFactory(state=State.PENDING, author=UserFactory(language="en"))

    with django_capture_on_commit_callbacks(execute=True):
        submission_moderate(submission=entry, moderator=moderator, action="approve")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [entry.author.email]
    assert "approved" in message.subject
    assert entry.campaign.title in message.subject
    assert f"https://passaparola.example/entries/{entry.pk}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f"https://passaparola.example/entries/{entry.pk}/" in html


def test_decision_email_task_run_twice_sends_one_email(
    moderator, django_capture_on_commit_callbacks
) -> None:
    entry = SubmissionFactory(state=State.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        submission_moderate(submission=entry, moderator=moderator, action="approve")
    decision = ModerationDecision.objects.get()

    submission_decision_email_task.delay(decision.pk)

    decision.refresh_from_db()
    assert len(mail.outbox) == 1
    assert decision.notified_at is not None


def test_no_email_before_commit(moderator, django_capture_on_commit_callbacks) -> None:
    entry = SubmissionFactory(state=State.PENDING)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission_moderate(submission=entry, moderator=moderator, action="approve")

    assert len(callbacks) == 2  # the author's email and the points derivation
    assert mail.outbox == []


def test_rejection_email_is_in_italian_for_an_italian_author(
    moderator, django_capture_on_commit_callbacks
) -> None:
    entry = SubmissionFactory(state=State.PENDING, author=UserFactory(language="it"))

    with django_capture_on_commit_callbacks(execute=True):
        submission_moderate(
            submission=entry,
            moderator=moderator,
            action="reject",
            reason="La foto mostra il logo di un altro marchio.",
        )

    message = mail.outbox[0]
    assert "non è stato accettato" in message.subject
    assert "Il motivo" in message.body
    assert "La foto mostra il logo di un altro marchio." in message.body
    assert "La foto mostra il logo di un altro marchio." in message.alternatives[0][0]
    assert "Ciao" in message.body


def test_author_without_a_language_gets_the_site_language(
    moderator, settings, django_capture_on_commit_callbacks
) -> None:
    settings.LANGUAGE_CODE = "it"
    entry = SubmissionFactory(state=State.PENDING, author=UserFactory(language=""))

    with django_capture_on_commit_callbacks(execute=True):
        submission_moderate(submission=entry, moderator=moderator, action="approve")

    assert "approvato" in mail.outbox[0].subject


def test_bulk_emails_each_author_once(moderator, django_capture_on_commit_callbacks) -> None:
    entries = SubmissionFactory.create_batch(3, state=State.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        submissions_moderate_bulk(
            submission_ids=[entry.pk for entry in entries], moderator=moderator, action="approve"
        )

    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        entry.author.email for entry in entries
    )


def test_email_task_tolerates_a_missing_decision() -> None:
    submission_decision_email_task.delay(987_654)

    assert mail.outbox == []


def test_hiding_after_reports_sends_no_email(settings, django_capture_on_commit_callbacks) -> None:
    from submissions.services import report_create

    settings.PASSAPAROLA_REPORTS_TO_HIDE = 1
    entry = SubmissionFactory()

    with django_capture_on_commit_callbacks(execute=True):
        report_create(reporter=UserFactory(), reason="spam", submission=entry)

    assert mail.outbox == []


# --- Comments --------------------------------------------------------------------------------


def test_hide_and_restore_a_comment(moderator) -> None:
    entry = SubmissionFactory()
    comment = CommentFactory(submission=entry)
    ReportFactory(submission=None, comment=comment)

    comment_moderate(comment=comment, moderator=moderator, action="hide")

    entry.refresh_from_db()
    assert Comment.objects.get(pk=comment.pk).is_hidden
    assert entry.comment_count == 0
    assert not Report.objects.filter(resolved_at__isnull=True).exists()

    comment_moderate(comment=comment, moderator=moderator, action="restore")

    entry.refresh_from_db()
    assert not Comment.objects.get(pk=comment.pk).is_hidden
    assert entry.comment_count == 1
    actions = list(
        ModerationDecision.objects.filter(comment=comment)
        .order_by("created_at", "pk")
        .values_list("action", "moderator")
    )
    assert actions == [("hide", moderator.pk), ("restore", moderator.pk)]


@pytest.mark.parametrize(("hidden", "action"), [(True, "hide"), (False, "restore")])
def test_comment_no_op_is_a_conflict(moderator, hidden: bool, action: str) -> None:
    comment = CommentFactory(is_hidden=hidden)

    with pytest.raises(Conflict):
        comment_moderate(comment=comment, moderator=moderator, action=action)


def test_comment_unknown_action_is_refused(moderator) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        comment_moderate(comment=CommentFactory(), moderator=moderator, action="approve")

    assert excinfo.value.code == "invalid_action"
