"""Writes about entries: creating them, comments, reports and moderation.

Pages, API and admin all come through here, so each rule holds whichever door a request uses.
Counters on an entry (`report_count`, `comment_count`) are absolute recounts of their facts,
taken while holding the entry's row lock, so concurrent writers cannot leave them wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import BrandMembership, User
from accounts.services import user_has_verified_email
from campaigns.models import Campaign, CampaignTerms
from core.exceptions import ApplicationError, Conflict, PermissionDenied
from core.images import image_clean, upload_size
from submissions.models import Comment, ModerationDecision, Report, Submission
from submissions.video import video_link_parse

SUBMISSION_IMAGE_MAX_SIDE = 2560
CAPTION_MAX_LENGTH = 280
COMMENT_MAX_LENGTH = 1000
REPORT_DETAILS_MAX_LENGTH = 500
REPORTS_TO_HIDE_DEFAULT = 3

Action = ModerationDecision.Action
State = Submission.State

_MISSING_CONTENT = {
    Submission.Kind.PHOTO: ("image", _("A photo entry needs a photo.")),
    Submission.Kind.TEXT: ("text", _("A text entry needs some text.")),
    Submission.Kind.VIDEO: ("video_url", _("A video entry needs a link to the video.")),
}
_KIND_NOT_ALLOWED = {
    Submission.Kind.PHOTO: _("This campaign does not take photo entries."),
    Submission.Kind.TEXT: _("This campaign does not take text entries."),
    Submission.Kind.VIDEO: _("This campaign does not take video links."),
}
# Which states each decision may leave from; the same state again is a Conflict, not a change.
_TRANSITIONS = {
    Action.APPROVE: {State.PENDING, State.HIDDEN, State.REJECTED},
    Action.REJECT: {State.PENDING, State.APPROVED, State.HIDDEN},
}
_TARGET_STATE = {Action.APPROVE: State.APPROVED, Action.REJECT: State.REJECTED}
_ALREADY = {
    Action.APPROVE: _("This entry is already approved."),
    Action.REJECT: _("This entry is already rejected."),
}


def _reports_to_hide() -> int:
    return max(1, int(getattr(settings, "PASSAPAROLA_REPORTS_TO_HIDE", REPORTS_TO_HIDE_DEFAULT)))


def _require_participant(user: User) -> None:
    """Only active people with a verified email address take part (ARCHITECTURE, fair play)."""
    if not user.is_authenticated or not user.is_active or not user_has_verified_email(user=user):
        raise PermissionDenied(
            _("Verify your email address first: follow the link we sent you."),
            code="email_unverified",
        )


def _require_moderator(user: User) -> None:
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        raise PermissionDenied(_("Only moderators can do this."), code="not_moderator")


def _field_error(message: object, *, code: str, field: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]})


# --- Entries ---------------------------------------------------------------------------------


def _check_content(
    *, campaign: Campaign, kind: str, caption: str, text: str, has_image: bool, video_url: str
) -> None:
    if kind not in Submission.Kind.values:
        raise _field_error(
            _("Choose a photo, a text or a video link."), code="invalid_kind", field="kind"
        )
    if kind not in campaign.allowed_kinds:
        raise _field_error(
            _KIND_NOT_ALLOWED[Submission.Kind(kind)], code="kind_not_allowed", field="kind"
        )
    content = {"image": has_image, "text": bool(text), "video_url": bool(video_url)}
    field, message = _MISSING_CONTENT[Submission.Kind(kind)]
    if not content[field]:
        raise _field_error(message, code="missing_content", field=field)
    if any(present for other, present in content.items() if other != field):
        raise ApplicationError(
            _("An entry carries only the content of its kind."), code="mixed_content"
        )
    if len(caption) > CAPTION_MAX_LENGTH:
        raise _field_error(
            _("The caption is too long: at most %(limit)d characters.")
            % {"limit": CAPTION_MAX_LENGTH},
            code="caption_too_long",
            field="caption",
        )
    if len(text) > campaign.text_max_length:
        raise _field_error(
            _("The text is too long: this campaign takes at most %(limit)d characters.")
            % {"limit": campaign.text_max_length},
            code="text_too_long",
            field="text",
        )


def _terms_accepted(
    *, campaign: Campaign, accept_terms: bool, terms_version: int | None
) -> CampaignTerms | None:
    terms = CampaignTerms.objects.filter(campaign=campaign).order_by("-version").first()
    if terms is not None and not accept_terms:
        raise _field_error(
            _("Accept the campaign's terms to take part."),
            code="terms_required",
            field="accept_terms",
        )
    if terms is not None and terms_version is not None and terms_version != terms.version:
        # The person read another version than the one in force: they must see this one.
        raise Conflict(
            _(
                "The terms changed while you were entering (now version %(version)d): "
                "read them again and accept."
            )
            % {"version": terms.version},
            code="terms_changed",
            fields={"accept_terms": [_("The terms have changed.")]},
        )
    return terms


def _check_entry_limit(*, campaign: Campaign, author: User) -> None:
    """Must be called while holding a SELECT FOR UPDATE lock on the author's user row."""
    entries = (
        Submission.objects.filter(campaign=campaign, author=author)
        .exclude(state=State.REJECTED)
        .count()
    )
    if entries >= campaign.max_entries_per_participant:
        raise ApplicationError(
            _("You have reached this campaign's limit of %(limit)d entries.")
            % {"limit": campaign.max_entries_per_participant},
            code="entry_limit",
        )


def _enqueue_thumbnails(submission_id: int) -> None:
    from core.enqueue import task_enqueue
    from submissions.tasks import submission_thumbnails_task

    task_enqueue(submission_thumbnails_task, submission_id)  # else `submissions_sweep` finds it


@transaction.atomic
def submission_create(
    *,
    campaign: Campaign,
    author: User,
    kind: str,
    caption: str = "",
    text: str = "",
    image: IO[bytes] | None = None,
    image_name: str = "",
    video_url: str = "",
    accept_terms: bool = False,
    terms_version: int | None = None,
    state: str | None = None,
) -> Submission:
    """Enter a verified person's photo, text or video link in an open campaign.

    An entry carries the content of its kind and nothing of another kind. A photo is re-encoded
    (oriented, metadata stripped) before anything is stored; a video link is reduced to its
    host, id and plain address. Entries start pending; the campaign's moderation mode decides
    whether the public sees them meanwhile. `state` is for the demo seed only. On refusal
    nothing is stored: no row, no file.
    """
    if state is not None and state not in State.values:
        raise _field_error(_("Unknown moderation state."), code="invalid_state", field="state")
    now = timezone.now()
    if campaign.phase_at(now) != Campaign.Phase.OPEN:
        raise ApplicationError(
            _("This campaign is not open for entries."), code="campaign_not_open"
        )
    _require_participant(author)
    if BrandMembership.objects.filter(brand_id=campaign.brand_id, user=author).exists():
        # Fair play: the brand's own people do not compete for its prizes.
        raise PermissionDenied(
            _("Members of %(brand)s cannot enter its own campaigns.")
            % {"brand": campaign.brand.name},
            code="brand_member",
        )
    text, caption, video_url = (
        (text or "").strip(),
        (caption or "").strip(),
        (video_url or "").strip(),
    )
    _check_content(
        campaign=campaign,
        kind=kind,
        caption=caption,
        text=text,
        has_image=image is not None,
        video_url=video_url,
    )
    terms = _terms_accepted(
        campaign=campaign, accept_terms=accept_terms, terms_version=terms_version
    )
    video = video_link_parse(video_url) if kind == Submission.Kind.VIDEO else None

    # Two submissions of the same person queue here, so both cannot pass the limit.
    User.objects.select_for_update().only("pk").get(pk=author.pk)
    _check_entry_limit(campaign=campaign, author=author)

    submission = Submission(
        campaign=campaign,
        author=author,
        kind=kind,
        caption=caption,
        text=text,
        state=state or State.PENDING,
        terms=terms,
        terms_accepted_at=now if terms is not None else None,
    )
    if video is not None:
        submission.video_url = video.url
        submission.video_provider = video.provider
        submission.video_id = video.video_id
    if state in (State.APPROVED, State.REJECTED):
        submission.moderated_at = now
    if image is not None:
        clean = image_clean(
            upload=image,
            name=image_name,
            size=upload_size(image),
            max_side=SUBMISSION_IMAGE_MAX_SIDE,
        )
        submission.image.save(clean.content.name, clean.content, save=False)
        submission.image_width, submission.image_height = clean.width, clean.height
    try:
        with transaction.atomic():
            submission.save()
    except Exception:
        if submission.image:
            submission.image.storage.delete(submission.image.name)
        raise
    if submission.image:
        transaction.on_commit(lambda: _enqueue_thumbnails(submission.pk))
    if submission.state == State.APPROVED:
        transaction.on_commit(lambda: _enqueue_points_sync(submission.pk))
    return submission


# --- Comments --------------------------------------------------------------------------------


def _clean_comment_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise _field_error(_("Write something first."), code="comment_empty", field="body")
    if len(body) > COMMENT_MAX_LENGTH:
        raise _field_error(
            _("The comment is too long: at most %(limit)d characters.")
            % {"limit": COMMENT_MAX_LENGTH},
            code="comment_too_long",
            field="body",
        )
    return body


def _comment_count_sync(submission_id: int) -> None:
    """Must be called while holding a SELECT FOR UPDATE lock on the entry's row."""
    visible = Comment.objects.filter(submission_id=submission_id, is_hidden=False).count()
    Submission.objects.filter(pk=submission_id).update(comment_count=visible)


def _lock_submission(submission_id: int) -> Submission:
    return Submission.objects.select_for_update().select_related("campaign").get(pk=submission_id)


def _is_public(submission_id: int) -> bool:
    return (
        Submission.objects.visible()
        .filter(pk=submission_id, campaign__status=Campaign.Status.PUBLISHED)
        .exists()
    )


@transaction.atomic
def comment_create(*, submission: Submission, author: User, body: str) -> Comment:
    """A verified person comments on an entry the public can see, of a published campaign.

    The body is stored as typed (plain text); pages escape it when they show it.
    """
    _require_participant(author)
    body = _clean_comment_body(body)
    locked = _lock_submission(submission.pk)
    if not _is_public(locked.pk):
        raise ApplicationError(_("This entry cannot be commented on."), code="not_commentable")
    comment = Comment.objects.create(submission=locked, author=author, body=body)
    _comment_count_sync(locked.pk)
    from sharing.notifications import notify_comment

    notify_comment(comment=comment)
    return comment


@transaction.atomic
def comment_update(*, comment: Comment, actor: User, body: str) -> Comment:
    """Its author rewrites a comment; the comment shows that it was edited."""
    if not actor.is_authenticated or not actor.is_active or actor.pk != comment.author_id:
        raise PermissionDenied(_("Only its author can edit a comment."), code="not_author")
    body = _clean_comment_body(body)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    comment.body = body
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at", "updated_at"])
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, actor: User) -> None:
    """Its author, or a moderator, removes a comment (with its reports)."""
    is_author = actor.is_authenticated and actor.is_active and actor.pk == comment.author_id
    is_moderator = actor.is_authenticated and actor.is_active and actor.is_staff
    if not (is_author or is_moderator):
        raise PermissionDenied(
            _("Only its author or a moderator can delete a comment."), code="not_author"
        )
    _lock_submission(comment.submission_id)
    Comment.objects.filter(pk=comment.pk).delete()
    _comment_count_sync(comment.submission_id)


# --- Reports ---------------------------------------------------------------------------------


def _open_reports(**target: object) -> int:
    return Report.objects.filter(resolved_at__isnull=True, **target).count()


@transaction.atomic
def report_create(
    *,
    reporter: User,
    reason: str,
    details: str = "",
    submission: Submission | None = None,
    comment: Comment | None = None,
) -> Report:
    """Flag an entry or a comment; at PASSAPAROLA_REPORTS_TO_HIDE open reports it is hidden.

    One report per person per entry or comment (the database enforces it). Hiding writes a
    ModerationDecision with no moderator: the system decided, a moderator reviews.
    """
    if (submission is None) == (comment is None):
        raise ApplicationError(_("Report either an entry or a comment."), code="invalid_target")
    if reason not in Report.Reason.values:
        raise _field_error(_("Choose a reason."), code="invalid_reason", field="reason")
    details = (details or "").strip()
    if len(details) > REPORT_DETAILS_MAX_LENGTH:
        raise _field_error(
            _("The details are too long: at most %(limit)d characters.")
            % {"limit": REPORT_DETAILS_MAX_LENGTH},
            code="details_too_long",
            field="details",
        )
    _require_participant(reporter)

    entry_id = submission.pk if submission is not None else comment.submission_id
    entry = _lock_submission(entry_id)
    target_comment = None
    if comment is not None:
        target_comment = Comment.objects.select_for_update().get(pk=comment.pk)
        own = target_comment.author_id == reporter.pk
        reportable = not target_comment.is_hidden and _is_public(entry.pk)
    else:
        own = entry.author_id == reporter.pk
        reportable = _is_public(entry.pk)
    if own:
        raise ApplicationError(_("You cannot report your own content."), code="own_content")
    if not reportable:
        raise ApplicationError(_("This can no longer be reported."), code="not_reportable")

    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter,
                reason=reason,
                details=details,
                submission=entry if target_comment is None else None,
                comment=target_comment,
            )
    except IntegrityError:
        raise Conflict(_("You have already reported this."), code="already_reported") from None

    threshold = _reports_to_hide()
    if target_comment is None:
        count = _open_reports(submission=entry)
        entry.report_count = count
        update = ["report_count", "updated_at"]
        if count >= threshold and entry.state in (State.APPROVED, State.PENDING):
            ModerationDecision.objects.create(
                submission=entry,
                action=Action.HIDE,
                from_state=entry.state,
                to_state=State.HIDDEN,
            )
            entry.state = State.HIDDEN
            update.append("state")
            transaction.on_commit(lambda: _enqueue_points_sync(entry.pk))
        entry.save(update_fields=update)
    else:
        count = _open_reports(comment=target_comment)
        target_comment.report_count = count
        update = ["report_count", "updated_at"]
        if count >= threshold and not target_comment.is_hidden:
            target_comment.is_hidden = True
            update.append("is_hidden")
            ModerationDecision.objects.create(
                comment=target_comment,
                action=Action.HIDE,
                from_state="visible",
                to_state="hidden",
            )
        target_comment.save(update_fields=update)
        _comment_count_sync(entry.pk)
    return report


# --- Moderation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    changed: list[int]
    skipped: list[int]


def _check_decision(*, action: str, reason: str) -> str:
    if action not in _TRANSITIONS:
        raise ApplicationError(_("Approve or reject."), code="invalid_action")
    reason = (reason or "").strip()
    if action == Action.REJECT and not reason:
        raise _field_error(
            _("Say why the entry is rejected: its author will read it."),
            code="reason_required",
            field="reason",
        )
    return reason


def _decide(
    *, submission: Submission, moderator: User, action: str, reason: str, now: datetime
) -> ModerationDecision:
    """Apply a checked decision. Must be called holding a SELECT FOR UPDATE lock on the row."""
    if submission.state == _TARGET_STATE[action]:
        raise Conflict(_ALREADY[action], code="already_in_state")
    if submission.state not in _TRANSITIONS[action]:
        raise Conflict(_("This entry cannot change that way."), code="invalid_transition")
    decision = ModerationDecision.objects.create(
        submission=submission,
        moderator=moderator,
        action=action,
        from_state=submission.state,
        to_state=_TARGET_STATE[action],
        reason=reason,
    )
    # A moderator has looked: the open reports are answered either way.
    Report.objects.filter(submission=submission, resolved_at__isnull=True).update(resolved_at=now)
    submission.state = _TARGET_STATE[action]
    submission.state_reason = reason
    submission.moderated_at = now
    submission.report_count = _open_reports(submission=submission)
    submission.save(
        update_fields=["state", "state_reason", "moderated_at", "report_count", "updated_at"]
    )
    transaction.on_commit(lambda: _enqueue_decision_email(decision.pk))
    transaction.on_commit(lambda: _enqueue_points_sync(submission.pk))
    return decision


def _enqueue_decision_email(decision_id: int) -> None:
    from core.enqueue import task_enqueue
    from submissions.tasks import submission_decision_email_task

    task_enqueue(submission_decision_email_task, decision_id)  # else `submissions_sweep` does


def _enqueue_points_sync(submission_id: int) -> None:
    """Entry points follow the moderation state: derive them once the decision is committed."""
    from sharing.points import enqueue_points_sync

    enqueue_points_sync(submission_id)


@transaction.atomic
def submission_moderate(
    *, submission: Submission, moderator: User, action: str, reason: str = ""
) -> Submission:
    """A moderator approves or rejects an entry; its author is emailed after commit.

    Approve from pending, hidden or rejected; reject (with a reason) from pending, approved or
    hidden. Deciding what is already so is a Conflict. Open reports are resolved.
    """
    _require_moderator(moderator)
    reason = _check_decision(action=action, reason=reason)
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    _decide(
        submission=locked, moderator=moderator, action=action, reason=reason, now=timezone.now()
    )
    return locked


@transaction.atomic
def submissions_moderate_bulk(
    *, submission_ids: Iterable[int], moderator: User, action: str, reason: str = ""
) -> BulkResult:
    """Decide many entries alike; those missing or already so are skipped, not errors."""
    _require_moderator(moderator)
    reason = _check_decision(action=action, reason=reason)
    ids = sorted({int(pk) for pk in submission_ids})
    # Locked in primary-key order, so two bulk decisions cannot deadlock each other.
    rows = {
        row.pk: row
        for row in Submission.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    now = timezone.now()
    changed, skipped = [], []
    for pk in ids:
        row = rows.get(pk)
        if row is None:
            skipped.append(pk)
            continue
        try:
            _decide(submission=row, moderator=moderator, action=action, reason=reason, now=now)
        except Conflict:
            skipped.append(pk)
        else:
            changed.append(pk)
    return BulkResult(changed=changed, skipped=skipped)


@transaction.atomic
def comment_moderate(*, comment: Comment, moderator: User, action: str) -> Comment:
    """A moderator hides or restores a comment; either way its open reports are answered."""
    _require_moderator(moderator)
    if action not in (Action.HIDE, Action.RESTORE):
        raise ApplicationError(_("Hide or restore."), code="invalid_action")
    _lock_submission(comment.submission_id)
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    hide = action == Action.HIDE
    if locked.is_hidden == hide:
        raise Conflict(
            _("This comment is already hidden.") if hide else _("This comment is not hidden."),
            code="already_in_state",
        )
    ModerationDecision.objects.create(
        comment=locked,
        moderator=moderator,
        action=action,
        from_state="visible" if hide else "hidden",
        to_state="hidden" if hide else "visible",
    )
    Report.objects.filter(comment=locked, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
    locked.is_hidden = hide
    locked.report_count = _open_reports(comment=locked)
    locked.save(update_fields=["is_hidden", "report_count", "updated_at"])
    _comment_count_sync(locked.submission_id)
    return locked


@transaction.atomic
def submission_decision_email_send(*, decision_id: int) -> bool:
    """Tell an entry's author, in their language, that it was approved or rejected.

    Returns False (and sends nothing) when the decision no longer exists, is not one the
    author is told about, or was already notified: a task that runs twice sends one email. The
    decision row stays locked while the mail goes out, so a concurrent run waits, then sees
    `notified_at` and stops.
    """
    decision = (
        ModerationDecision.objects.select_for_update(of=("self",))
        .select_related("submission", "submission__author", "submission__campaign")
        .filter(
            pk=decision_id,
            submission__isnull=False,
            action__in=[Action.APPROVE, Action.REJECT],
        )
        .first()
    )
    if decision is None or decision.notified_at is not None:
        return False
    submission = decision.submission
    author = submission.author
    if not author.is_active or not author.email:
        return False
    context = {
        "author": author,
        "submission": submission,
        "campaign": submission.campaign,
        "decision": decision,
        "approved": decision.action == Action.APPROVE,
        "reason": decision.reason,
        "entry_url": f"{settings.SITE_URL}/entries/{submission.pk}/",
        "site_url": settings.SITE_URL,
    }
    with translation.override(author.language or settings.LANGUAGE_CODE):
        subject = render_to_string("submissions/email/decision_subject.txt", context)
        subject = " ".join(subject.split())
        body = render_to_string("submissions/email/decision_message.txt", context)
        html = render_to_string("submissions/email/decision_message.html", context)
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
    message = EmailMultiAlternatives(
        subject=f"{prefix}{subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[author.email],
    )
    message.attach_alternative(html, "text/html")
    message.send()
    decision.notified_at = timezone.now()
    decision.save(update_fields=["notified_at", "updated_at"])
    return True


# --- What a lost message left undone ------------------------------------------------------------

SWEEP_SETTLE = timedelta(minutes=2)
SWEEP_BATCH = 200
SWEEP_WINDOW = timedelta(days=7)


def submissions_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Redo what a task that never ran left undone: thumbnails and decision emails.

    The rows are the outbox (ARCHITECTURE invariant 3): a photo entry without its thumbnails,
    an approval or rejection whose author was not told. Only rows of the last week, and at
    least two minutes old (the task sent with them normally does the work first). Both
    services are idempotent, so a sweep racing a late task does the work once.
    """
    from submissions.images import submission_thumbnails_make

    moment = now or timezone.now()
    recent = {"created_at__gte": moment - SWEEP_WINDOW, "created_at__lte": moment - SWEEP_SETTLE}
    thumbnails = 0
    for submission_id in (
        Submission.objects.filter(**recent)
        .exclude(image="")
        .filter(Q(thumb_small="") | Q(thumb_medium="") | Q(thumb_large=""))
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    ):
        submission_thumbnails_make(submission_id=submission_id)
        thumbnails += 1
    emails = 0
    for decision_id in ModerationDecision.objects.filter(
        **recent,
        notified_at__isnull=True,
        submission__isnull=False,
        action__in=[Action.APPROVE, Action.REJECT],
    ).values_list("pk", flat=True)[:SWEEP_BATCH]:
        emails += submission_decision_email_send(decision_id=decision_id)
    return {"thumbnails": thumbnails, "emails": emails}
