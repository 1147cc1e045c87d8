"""Moderators decide in the Django admin; every decision goes through the moderation services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from submissions.models import Comment, ModerationDecision, Report, Submission
from tests.factories import (
    CampaignFactory,
    CommentFactory,
    ReportFactory,
    StaffFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/submissions/submission/"


@pytest.fixture
def moderator() -> object:
    """A staff member allowed to view and change entries and comments, not a superuser."""
    user = StaffFactory(email="moderator@example.com")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="submissions",
            codename__in=[
                "view_submission",
                "change_submission",
                "view_comment",
                "change_comment",
                "view_report",
                "view_moderationdecision",
            ],
        )
    )
    return user


@pytest.fixture
def client_as_moderator(moderator: object) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


def _action(client: Client, action: str, entries: list[Submission], **extra: str):
    data = {"action": action, "_selected_action": [str(e.pk) for e in entries], **extra}
    return client.post(CHANGELIST, data)


def test_changelist_shows_thumbnail_campaign_author_state_and_reports(
    client_as_moderator: Client,
) -> None:
    entry = SubmissionFactory(state=Submission.State.PENDING, caption="Sunrise")
    ReportFactory(submission=entry)
    Submission.objects.filter(pk=entry.pk).update(report_count=1)

    response = client_as_moderator.get(CHANGELIST)

    page = response.content.decode()
    assert response.status_code == 200
    assert entry.campaign.title in page
    assert str(entry.author) in page
    assert "Pending review" in page
    assert "open reports" in page.lower()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("state=pending", {"pending"}), ("state=approved", {"approved"}), ("reported=yes", {"hot"})],
)
def test_changelist_filters(client_as_moderator: Client, query: str, expected: set[str]) -> None:
    SubmissionFactory(state=Submission.State.PENDING, text="pending")
    SubmissionFactory(state=Submission.State.APPROVED, text="approved")
    SubmissionFactory(state=Submission.State.REJECTED, text="hot", report_count=2)

    response = client_as_moderator.get(f"{CHANGELIST}?{query}")

    shown = {row.text for row in response.context["cl"].result_list}
    assert shown == expected


def test_changelist_searches_author_and_campaign(client_as_moderator: Client) -> None:
    ada = UserFactory(email="ada@example.com", display_name="Ada")
    mine = SubmissionFactory(author=ada, campaign=CampaignFactory(title="Moka mornings"))
    SubmissionFactory()

    by_author = client_as_moderator.get(f"{CHANGELIST}?q=ada@example")
    by_campaign = client_as_moderator.get(f"{CHANGELIST}?q=moka")

    assert list(by_author.context["cl"].result_list) == [mine]
    assert list(by_campaign.context["cl"].result_list) == [mine]


def test_bulk_approve_changes_state_logs_and_emails(
    client_as_moderator: Client, moderator: object, django_capture_on_commit_callbacks
) -> None:
    entries = SubmissionFactory.create_batch(3, state=Submission.State.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        response = _action(client_as_moderator, "approve_selected", entries)

    assert response.status_code == 302
    assert set(Submission.objects.values_list("state", flat=True)) == {"approved"}
    decisions = ModerationDecision.objects.filter(action="approve")
    assert decisions.count() == 3
    assert {d.moderator for d in decisions} == {moderator}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.author.email for e in entries)


def test_reject_asks_for_a_reason_first_and_changes_nothing_without_it(
    client_as_moderator: Client,
) -> None:
    entry = SubmissionFactory(state=Submission.State.PENDING)

    asked = _action(client_as_moderator, "reject_selected", [entry])
    refused = _action(client_as_moderator, "reject_selected", [entry], apply="1", reason="  ")

    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    assert refused.status_code == 400
    entry.refresh_from_db()
    assert entry.state == Submission.State.PENDING
    assert not ModerationDecision.objects.exists()


def test_reject_with_a_reason_tells_the_author_in_their_language(
    client_as_moderator: Client, django_capture_on_commit_callbacks
) -> None:
    author = UserFactory(language="it")
    entry = SubmissionFactory(author=author, state=Submission.State.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        response = _action(
            client_as_moderator,
            "reject_selected",
            [entry],
            apply="1",
            reason="Contiene un marchio di terzi.",
        )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.state == Submission.State.REJECTED
    assert entry.state_reason == "Contiene un marchio di terzi."
    assert len(mail.outbox) == 1
    assert "Contiene un marchio di terzi." in mail.outbox[0].body
    decision = ModerationDecision.objects.get()
    assert (decision.from_state, decision.to_state) == ("pending", "rejected")


def test_bulk_skips_entries_already_in_that_state(client_as_moderator: Client) -> None:
    approved = SubmissionFactory(state=Submission.State.APPROVED)
    pending = SubmissionFactory(state=Submission.State.PENDING)

    response = _action(client_as_moderator, "approve_selected", [approved, pending])

    assert response.status_code == 302
    assert ModerationDecision.objects.count() == 1
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("left as" in m for m in messages)


def test_approving_resolves_open_reports(client_as_moderator: Client) -> None:
    entry = SubmissionFactory(state=Submission.State.HIDDEN, report_count=3)
    ReportFactory.create_batch(3, submission=entry)

    _action(client_as_moderator, "approve_selected", [entry])

    entry.refresh_from_db()
    assert entry.state == Submission.State.APPROVED
    assert entry.report_count == 0
    assert not Report.objects.filter(resolved_at__isnull=True).exists()


def test_state_cannot_be_edited_directly_in_the_change_form(
    client_as_moderator: Client,
) -> None:
    entry = SubmissionFactory(state=Submission.State.PENDING)

    client_as_moderator.post(
        f"{CHANGELIST}{entry.pk}/change/", {"state": "approved", "caption": "changed"}
    )

    entry.refresh_from_db()
    assert entry.state == Submission.State.PENDING
    assert not ModerationDecision.objects.exists()


def test_comment_actions_hide_and_restore(client_as_moderator: Client) -> None:
    comment = CommentFactory()

    client_as_moderator.post(
        "/admin/submissions/comment/",
        {"action": "hide_selected", "_selected_action": [str(comment.pk)]},
    )
    comment.refresh_from_db()
    hidden = comment.is_hidden
    client_as_moderator.post(
        "/admin/submissions/comment/",
        {"action": "restore_selected", "_selected_action": [str(comment.pk)]},
    )
    comment.refresh_from_db()

    assert hidden is True
    assert comment.is_hidden is False
    assert Comment.objects.get().decisions.count() == 2


def test_moderation_log_is_read_only(client_as_moderator: Client) -> None:
    entry = SubmissionFactory(state=Submission.State.PENDING)
    _action(client_as_moderator, "approve_selected", [entry])
    decision = ModerationDecision.objects.get()

    listing = client_as_moderator.get("/admin/submissions/moderationdecision/")
    delete = client_as_moderator.post(
        f"/admin/submissions/moderationdecision/{decision.pk}/delete/", {"post": "yes"}
    )

    assert listing.status_code == 200
    assert delete.status_code == 403
    assert ModerationDecision.objects.filter(pk=decision.pk).exists()


def test_a_participant_cannot_reach_the_moderation_admin() -> None:
    client = Client()
    client.force_login(UserFactory())

    response = client.get(CHANGELIST)

    assert response.status_code in (302, 403)


def test_changelist_query_count_does_not_grow_with_entries(client_as_moderator: Client) -> None:
    SubmissionFactory.create_batch(5, state=Submission.State.PENDING)
    client_as_moderator.get(CHANGELIST)

    with CaptureQueriesContext(connection) as few:
        client_as_moderator.get(CHANGELIST)
    SubmissionFactory.create_batch(25, state=Submission.State.PENDING)
    with CaptureQueriesContext(connection) as many:
        client_as_moderator.get(CHANGELIST)

    assert len(many) == len(few)
