"""Participant pages: a campaign and its gallery, an entry, sending one, comments, reports.

Each view parses its input, calls one service or selector and renders. A service's
ApplicationError shows on the form (on the field it names) with its status: 400, 403 for
PermissionDenied, 409 for Conflict. Http404 from a selector passes through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import User
from accounts.selectors import brands_for_user
from accounts.services import user_has_verified_email
from campaigns.models import Campaign
from campaigns.selectors import campaign_get_public, campaign_terms_current
from campaigns.winners import winners_current
from core.exceptions import ApplicationError
from core.uploads import image_too_large_error, upload_limited, upload_too_large
from sharing.selectors import leaderboard_for_viewer, like_counts_visible, submission_ids_liked
from submissions import services
from submissions.forms import CommentForm, EntryForm, ReportForm
from submissions.likes import like_create, like_remove
from submissions.models import Comment, Submission
from submissions.selectors import (
    comment_get,
    comments_for_submission,
    gallery_page,
    submission_get_public,
    submissions_for_author,
)
from submissions.video import video_embed_url

MY_ENTRIES_PAGE_SIZE = 30
OG_DESCRIPTION_LENGTH = 200
# The campaign page shows the top of the leaderboard; the full page shows more.
CAMPAIGN_BOARD_LIMIT = 5
CAMPAIGN_BOARD_ENTRIES = 3

# (field, the width a thumbnail is made at), as submissions.images.THUMBNAIL_SIZES.
_THUMBNAILS = (("thumb_small", 320), ("thumb_medium", 640), ("thumb_large", 1280))
_SIZE_WIDTH = {"small": 320, "medium": 640, "large": 1280}


# --- Presentation helpers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    """What an <img> of a photo entry needs: thumbnails when the task has made them."""

    src: str
    srcset: str
    width: int | None
    height: int | None
    src_width: int | None  # of the file at `src` (for og:image)
    src_height: int | None


def _scaled(submission: Submission, width: int) -> tuple[int | None, int | None]:
    """The size of the photo drawn at most `width` wide (thumbnails are never wider)."""
    full_width, full_height = submission.image_width, submission.image_height
    if not full_width or not full_height:
        return None, None
    target = min(width, full_width)
    return target, max(1, round(full_height * target / full_width))


def _picture(submission: Submission, size: str) -> Picture | None:
    """The <img> attributes of a photo entry at `size` (small, medium, large); None if no photo.

    Until the thumbnail task has run, the re-encoded photo itself is shown.
    """
    if submission.kind != Submission.Kind.PHOTO or not submission.image:
        return None
    candidates: dict[int, str] = {}
    for field, made_at in _THUMBNAILS:
        file = getattr(submission, field)
        if file:
            width = _scaled(submission, made_at)[0] or made_at
            candidates.setdefault(width, file.url)
    srcset = ", ".join(f"{url} {width}w" for width, url in sorted(candidates.items()))
    preferred = getattr(submission, f"thumb_{size}")
    width, height = _scaled(submission, _SIZE_WIDTH[size])
    if preferred:
        return Picture(preferred.url, srcset, width, height, width, height)
    return Picture(
        submission.image.url,
        srcset,
        width,
        height,
        submission.image_width,
        submission.image_height,
    )


def _with_pictures(entries: list[Submission], size: str) -> list[Submission]:
    for entry in entries:
        entry.picture = _picture(entry, size)  # type: ignore[attr-defined]
    return entries


def _is_verified(user: User) -> bool:
    return user.is_authenticated and user_has_verified_email(user=user)


def _open_graph(request: HttpRequest, submission: Submission, image: Picture | None) -> dict:
    """Open Graph and Twitter card values: what a shared link of the entry shows."""
    campaign = submission.campaign
    about = _("An entry by %(name)s to “%(campaign)s” by %(brand)s.") % {
        "name": submission.author.public_name,
        "campaign": campaign.title,
        "brand": campaign.brand.name,
    }
    excerpt = Truncator(submission.text).chars(OG_DESCRIPTION_LENGTH) if submission.text else ""
    og: dict[str, Any] = {
        "title": submission.caption or campaign.title,
        "description": f"{excerpt} — {about}" if excerpt else about,
        "url": request.build_absolute_uri(reverse("entry-detail", args=[submission.pk])),
        "image_alt": submission.caption or about,
    }
    if image is not None:
        # The re-encoded JPEG/PNG, not a WebP thumbnail: some link-preview crawlers skip WebP.
        og["image"] = request.build_absolute_uri(submission.image.url)
        og["width"], og["height"] = submission.image_width, submission.image_height
    elif campaign.cover:
        og["image"] = request.build_absolute_uri(campaign.cover.url)
        og["width"], og["height"] = campaign.cover_width, campaign.cover_height
        og["image_alt"] = campaign.title
    return og


def _entry_url(submission_id: int, anchor: str = "") -> str:
    url = reverse("entry-detail", args=[submission_id])
    return f"{url}#{anchor}" if anchor else url


def _denied(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "submissions/denied.html", {"message": message}, status=403)


def _is_brand_member(request: HttpRequest, campaign: Campaign) -> bool:
    """Is the viewer one of the brand's people? (no query for anonymous visitors)"""
    user = request.user
    return (
        user.is_authenticated and brands_for_user(user=user).filter(pk=campaign.brand_id).exists()
    )


def _like_states(
    request: HttpRequest,
    campaign: Campaign,
    entries: list[Submission],
    *,
    brand_member: bool,
    counts_visible: bool,
) -> dict:
    """What the like buttons of a page need, in a fixed number of queries whatever its size.

    `likes_open`: the campaign takes likes now (anonymous visitors get "Sign in to like");
    `can_like`: the viewer may press the buttons (signed in, not of the brand running it; the
    service still decides, and says why when it refuses); `liked_ids`: what the viewer likes;
    `counts_visible`: whether like counts show (`like_counts_visible`: `hide_live_counts`).
    """
    user = request.user
    likes_open = campaign.phase == Campaign.Phase.OPEN
    can_like = likes_open and user.is_authenticated and not brand_member
    return {
        "likes_open": likes_open,
        "can_like": can_like,
        "liked_ids": submission_ids_liked(
            user=user, submission_ids=[e.pk for e in entries] if can_like else []
        ),
        "counts_visible": counts_visible,
        "like_labels": _like_count_labels(),
    }


def _like_count_labels() -> dict[str, str]:
    """ "%(counter)s like(s)" in the active language, for the script to write a new count.

    The same message as the count in the templates; one form and the other (English and
    Italian have two).
    """
    return {
        form: ngettext("%(counter)s like", "%(counter)s likes", n)
        for form, n in (("one", 1), ("other", 2))
    }


# --- Campaign page and gallery -----------------------------------------------------------------


@require_safe
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    # The page shows prizes but no entry count: counting scans every entry of the campaign.
    campaign = campaign_get_public(
        slug=slug, user=request.user, with_counts=False, with_prizes=True
    )
    order = request.GET.get("order") or "newest"
    cursor = request.GET.get("cursor") or None
    counts_visible = like_counts_visible(campaign=campaign, viewer=request.user)
    if order == "most_liked" and not counts_visible:
        order = "newest"  # the order would tell the like counts the brand keeps hidden
    entries, next_cursor, error = [], None, None
    try:
        entries, next_cursor = gallery_page(
            campaign=campaign,
            order=order,
            limit=settings.PASSAPAROLA_GALLERY_PAGE_SIZE,
            cursor=cursor,
        )
    except ApplicationError as exc:
        error = exc
    phase = campaign.phase
    brand_member = _is_brand_member(request, campaign)
    board = leaderboard_for_viewer(
        campaign=campaign,
        viewer=request.user,
        limit=CAMPAIGN_BOARD_LIMIT,
        entries_limit=CAMPAIGN_BOARD_ENTRIES,
    )
    context = {
        "campaign": campaign,
        "phase": phase,
        "order": order,
        "cursor": cursor,
        "entries": _with_pictures(entries, "medium"),
        "next_cursor": next_cursor,
        "gallery_error": error,
        "canonical_url": request.build_absolute_uri(reverse("campaign-detail", args=[slug])),
        "share_image": request.build_absolute_uri(campaign.cover.url) if campaign.cover else "",
        "board": board,
        "board_limit": CAMPAIGN_BOARD_LIMIT,
        "board_entries": CAMPAIGN_BOARD_ENTRIES,
        "winners": winners_current(campaign=campaign) if phase == Campaign.Phase.CLOSED else [],
        "like_next": request.get_full_path(),
        "brand_view": brand_member,
        **_like_states(
            request, campaign, entries, brand_member=brand_member, counts_visible=counts_visible
        ),
    }
    return render(
        request, "submissions/campaign_detail.html", context, status=400 if error else 200
    )


# --- One entry ---------------------------------------------------------------------------------


def _entry_page(
    request: HttpRequest,
    submission: Submission,
    *,
    comment_form: CommentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    is_author = user.is_authenticated and user.pk == submission.author_id
    image = _picture(submission, "large")
    embed_url = (
        video_embed_url(submission.video_provider, submission.video_id)
        if submission.kind == Submission.Kind.VIDEO and submission.video_id
        else ""
    )
    context = {
        "submission": submission,
        "campaign": submission.campaign,
        "picture": image,
        "embed_url": embed_url,
        "og": _open_graph(request, submission, image),
        "is_author": is_author,
        "submitted": is_author and request.GET.get("submitted") == "1",
        "comments": list(comments_for_submission(submission=submission, user=user)),
        "comment_form": comment_form or CommentForm(),
        "can_comment": submission.is_public and _is_verified(user),
        "like_next": request.path,
        # The author gets no like button: their page asks nothing about likes.
        **(
            {"counts_visible": like_counts_visible(campaign=submission.campaign, viewer=user)}
            if is_author
            else _like_states(
                request,
                submission.campaign,
                [submission],
                brand_member=_is_brand_member(request, submission.campaign),
                counts_visible=like_counts_visible(campaign=submission.campaign, viewer=user),
            )
        ),
    }
    return render(request, "submissions/entry_detail.html", context, status=status)


@require_safe
def entry_detail(request: HttpRequest, submission_id: int) -> HttpResponse:
    return _entry_page(
        request, submission_get_public(submission_id=submission_id, user=request.user)
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_like(request: HttpRequest, submission_id: int) -> HttpResponse:
    """Like (or, with `action=unlike`, stop liking) an entry, then go back where the form was.

    The page's script does the same through the API without leaving the page; this is the
    door that works without JavaScript. A refusal comes back as the service's message. A GET
    (the way back from signing in) just shows the entry.
    """
    submission = submission_get_public(submission_id=submission_id, user=request.user)
    if request.method != "POST":
        return redirect(_entry_url(submission.pk))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = _entry_url(submission.pk)
    unlike = request.POST.get("action") == "unlike"
    back = back.split("#", 1)[0]
    try:
        if unlike:
            like_remove(user=request.user, submission=submission)
        else:
            like_create(user=request.user, submission=submission)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)  # the top of the page, where the message shows
    messages.success(request, _("Your like is withdrawn.") if unlike else _("You like this entry."))
    return redirect(f"{back}#like-{submission.pk}")  # back to the button, now pressed


@login_required
@upload_limited
@require_http_methods(["GET", "POST"])
def entry_create(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = campaign_get_public(slug=slug, user=request.user, with_counts=False)
    terms = campaign_terms_current(campaign=campaign)
    form = EntryForm(request.POST or None, request.FILES or None, campaign=campaign, terms=terms)
    status = 200
    if request.method == "POST":
        if upload_too_large(request):
            field = "image" if "image" in form.fields else None
            form.add_error(field, image_too_large_error().message)
        submission, status = form.call_service(
            lambda: services.submission_create(
                campaign=campaign, author=request.user, **form.service_arguments()
            )
        )
        if submission is not None:
            return redirect(f"{_entry_url(submission.pk)}?submitted=1")
    context = {
        "campaign": campaign,
        "phase": campaign.phase,
        "is_open": campaign.phase == Campaign.Phase.OPEN,
        "terms": terms,
        "form": form,
        "verified": _is_verified(request.user),
        "campaign_url": reverse("campaign-detail", args=[campaign.slug]),
        "too_large_message": image_too_large_error().message,
    }
    return render(request, "submissions/entry_form.html", context, status=status)


@login_required
@require_safe
def my_entries(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(submissions_for_author(user=request.user), MY_ENTRIES_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    _with_pictures(page.object_list, "small")
    return render(request, "submissions/my_entries.html", {"page": page})


# --- Comments ----------------------------------------------------------------------------------


@login_required
@require_POST
def comment_create(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = submission_get_public(submission_id=submission_id, user=request.user)
    form = CommentForm(request.POST)
    comment, status = form.call_service(
        lambda: services.comment_create(
            submission=submission, author=request.user, body=form.cleaned_data["body"]
        )
    )
    if comment is None:
        return _entry_page(request, submission, comment_form=form, status=status)
    messages.success(request, _("Your comment is published."))
    return redirect(_entry_url(submission.pk, f"comment-{comment.pk}"))


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = comment_get(comment_id=comment_id, user=request.user)
    if request.method == "GET" and comment.author_id != request.user.pk:
        return _denied(request, _("Only its author can edit a comment."))
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    status = 200
    if request.method == "POST":
        updated, status = form.call_service(
            lambda: services.comment_update(
                comment=comment, actor=request.user, body=form.cleaned_data["body"]
            )
        )
        if updated is not None:
            messages.success(request, _("Your comment is saved."))
            return redirect(_entry_url(comment.submission_id, f"comment-{comment.pk}"))
    context = {"comment": comment, "form": form}
    return render(request, "submissions/comment_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = comment_get(comment_id=comment_id, user=request.user)
    if request.method == "POST":
        try:
            services.comment_delete(comment=comment, actor=request.user)
        except ApplicationError as exc:
            return _denied(request, exc.message)
        messages.success(request, _("The comment is deleted."))
        return redirect(_entry_url(comment.submission_id, "comments"))
    if comment.author_id != request.user.pk and not request.user.is_staff:
        return _denied(request, _("Only its author or a moderator can delete a comment."))
    return render(request, "submissions/comment_delete.html", {"comment": comment})


# --- Reports -----------------------------------------------------------------------------------


def _report_page(
    request: HttpRequest, *, submission: Submission | None = None, comment: Comment | None = None
) -> HttpResponse:
    """Report an entry or a comment (one of the two); back to the entry once reported."""
    form = ReportForm(request.POST or None)
    entry_url = _entry_url(submission.pk if submission else comment.submission_id)
    status = 200
    if request.method == "POST":
        report, status = form.call_service(
            lambda: services.report_create(
                reporter=request.user, submission=submission, comment=comment, **form.cleaned_data
            )
        )
        if report is not None:
            messages.success(request, _("Thank you for telling us: a moderator will look at it."))
            return redirect(entry_url)
    context = {"form": form, "submission": submission, "comment": comment, "entry_url": entry_url}
    return render(request, "submissions/report_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def entry_report(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = submission_get_public(submission_id=submission_id, user=request.user)
    return _report_page(request, submission=submission)


@login_required
@require_http_methods(["GET", "POST"])
def comment_report(request: HttpRequest, comment_id: int) -> HttpResponse:
    return _report_page(request, comment=comment_get(comment_id=comment_id, user=request.user))
