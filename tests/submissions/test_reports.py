"""Reports: one per person per target; enough open reports hide an entry or a comment."""

from __future__ import annotations

import pytest

from core.exceptions import ApplicationError, Conflict, PermissionDenied
from submissions.models import Comment, ModerationDecision, Report, Submission
from submissions.services import report_create
from tests.factories import CommentFactory, ReportFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry() -> Submission:
    return SubmissionFactory()


def test_a_report_is_recorded_and_counted(entry, participant) -> None:
    report = report_create(reporter=participant, reason="spam", details=" Ads ", submission=entry)

    assert report.details == "Ads"
    entry.refresh_from_db()
    assert entry.report_count == 1
    assert entry.state == Submission.State.APPROVED


def test_reporting_twice_is_a_conflict_and_counts_once(entry, participant) -> None:
    report_create(reporter=participant, reason="spam", submission=entry)

    with pytest.raises(Conflict) as excinfo:
        report_create(reporter=participant, reason="offensive", submission=entry)

    assert excinfo.value.code == "already_reported"
    assert Report.objects.count() == 1
    entry.refresh_from_db()
    assert entry.report_count == 1


@pytest.mark.parametrize("target", ["entry", "comment"])
def test_own_content_cannot_be_reported(entry, target: str) -> None:
    comment = CommentFactory(submission=entry)
    kwargs = (
        {"reporter": entry.author, "submission": entry}
        if target == "entry"
        else {"reporter": comment.author, "comment": comment}
    )

    with pytest.raises(ApplicationError) as excinfo:
        report_create(reason="spam", **kwargs)

    assert excinfo.value.code == "own_content"
    assert Report.objects.count() == 0


def test_unverified_reporter_is_refused(entry) -> None:
    with pytest.raises(PermissionDenied) as excinfo:
        report_create(reporter=UserFactory(verified=False), reason="spam", submission=entry)

    assert excinfo.value.code == "email_unverified"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"reason": "boring"}, "invalid_reason"),
        ({"reason": "spam", "details": "x" * 501}, "details_too_long"),
    ],
)
def test_bad_input_is_refused(entry, participant, kwargs: dict, code: str) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        report_create(reporter=participant, submission=entry, **kwargs)

    assert excinfo.value.code == code


def test_exactly_one_target(entry, participant) -> None:
    comment = CommentFactory(submission=entry)

    for kwargs in ({}, {"submission": entry, "comment": comment}):
        with pytest.raises(ApplicationError) as excinfo:
            report_create(reporter=participant, reason="spam", **kwargs)
        assert excinfo.value.code == "invalid_target"


def test_an_entry_the_public_cannot_see_cannot_be_reported(participant) -> None:
    entry = SubmissionFactory(state=Submission.State.REJECTED)

    with pytest.raises(ApplicationError) as excinfo:
        report_create(reporter=participant, reason="spam", submission=entry)

    assert excinfo.value.code == "not_reportable"


@pytest.mark.parametrize("threshold", [1, 3])
def test_reaching_the_threshold_hides_the_entry_and_logs_it(entry, settings, threshold) -> None:
    settings.PASSAPAROLA_REPORTS_TO_HIDE = threshold
    for _ in range(threshold - 1):
        report_create(reporter=UserFactory(), reason="spam", submission=entry)
    entry.refresh_from_db()
    assert entry.state == Submission.State.APPROVED

    report_create(reporter=UserFactory(), reason="offensive", submission=entry)

    entry.refresh_from_db()
    assert entry.state == Submission.State.HIDDEN
    assert entry.report_count == threshold
    decision = ModerationDecision.objects.get(submission=entry)
    assert decision.action == ModerationDecision.Action.HIDE
    assert decision.moderator is None
    assert (decision.from_state, decision.to_state) == ("approved", "hidden")


def test_default_threshold_is_three(entry, settings) -> None:
    del settings.PASSAPAROLA_REPORTS_TO_HIDE
    for _ in range(2):
        report_create(reporter=UserFactory(), reason="spam", submission=entry)
    entry.refresh_from_db()
    assert entry.state == Submission.State.APPROVED

    report_create(reporter=UserFactory(), reason="spam", submission=entry)

    entry.refresh_from_db()
    assert entry.state == Submission.State.HIDDEN


def test_resolved_reports_do_not_count(entry, settings) -> None:
    settings.PASSAPAROLA_REPORTS_TO_HIDE = 2
    ReportFactory(submission=entry, resolved_at="2024-01-01T00:00:00Z")

    report_create(reporter=UserFactory(), reason="spam", submission=entry)

    entry.refresh_from_db()
    assert entry.report_count == 1
    assert entry.state == Submission.State.APPROVED


def test_reported_comment_is_hidden_at_the_threshold_and_uncounted(entry, settings) -> None:
    settings.PASSAPAROLA_REPORTS_TO_HIDE = 2
    comment = CommentFactory(submission=entry)
    Submission.objects.filter(pk=entry.pk).update(comment_count=1)

    report_create(reporter=UserFactory(), reason="spam", comment=comment)
    report_create(reporter=UserFactory(), reason="spam", comment=comment)

    comment.refresh_from_db()
    entry.refresh_from_db()
    assert comment.is_hidden
    assert comment.report_count == 2
    assert entry.comment_count == 0
    assert entry.state == Submission.State.APPROVED
    decision = ModerationDecision.objects.get(comment=comment)
    assert decision.action == ModerationDecision.Action.HIDE
    assert decision.moderator is None


def test_comment_report_twice_is_a_conflict(entry, participant) -> None:
    comment = CommentFactory(submission=entry)
    report_create(reporter=participant, reason="spam", comment=comment)

    with pytest.raises(Conflict):
        report_create(reporter=participant, reason="spam", comment=comment)

    assert Comment.objects.get(pk=comment.pk).report_count == 1
