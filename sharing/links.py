"""Personal share links: making one, finding it fast from its code, its QR code, its numbers.

A link is `/s/<code>`: ten characters of `secrets.token_urlsafe` (56 random bits), so codes can
be neither guessed nor enumerated. The redirect resolves a code through the cache
(`share_target_get`); only a miss reads the database, and a flushed or unreachable cache only
costs that read (ARCHITECTURE invariants 1 and 4).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import qrcode
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from qrcode.image.svg import SvgPathFillImage

from accounts.models import User
from accounts.selectors import brands_for_user
from campaigns.models import Campaign
from core.exceptions import Conflict, PermissionDenied
from sharing.models import Referral, ShareClick, ShareHit, ShareLink
from submissions.models import Submission
from submissions.selectors import submission_get_public

logger = logging.getLogger(__name__)

CODE_BYTES = 7  # token_urlsafe(7) is 10 characters
CODE_PATTERN = r"[A-Za-z0-9_-]{4,16}"
_CODE_RE = re.compile(CODE_PATTERN)
_CODE_ATTEMPTS = 5
CACHE_PREFIX = "sharing:code:"
CACHE_TIMEOUT = 24 * 3600
CACHE_MISSING_TIMEOUT = 60
QR_CHANNEL = ShareHit.Channel.QR


@dataclass(frozen=True)
class ShareTarget:
    """What the redirect needs to know about a code: no model instance, so it caches small."""

    link_id: int
    submission_id: int
    owner_id: int


# --- Making a link -----------------------------------------------------------------------------


def _new_code() -> str:
    # A leading "-" or "_" is dropped by some chat apps' link detection; draw again.
    while True:
        code = secrets.token_urlsafe(CODE_BYTES)
        if code[0] not in "-_":
            return code


def submission_is_shareable(*, submission: Submission) -> bool:
    """Whether the public sees the entry (what `submission_get_public` calls `is_public`)."""
    known = getattr(submission, "is_public", None)
    if known is not None:
        return bool(known)
    return (
        Submission.objects.visible()
        .filter(pk=submission.pk, campaign__status=Campaign.Status.PUBLISHED)
        .exists()
    )


def share_link_get_or_create(*, submission: Submission, owner: User) -> ShareLink:
    """The owner's personal link to their entry, made on first use.

    Only the entry's author (PermissionDenied `not_author`), only while the public sees the
    entry (Conflict `not_shareable`). Safe under concurrency: the (submission, owner) constraint
    decides, and a code collision draws a new code. The result has `is_new`.
    """
    if not owner.is_authenticated or owner.pk != submission.author_id:
        raise PermissionDenied(
            gettext_lazy("Only its author can get a share link for an entry."), code="not_author"
        )
    if not submission_is_shareable(submission=submission):
        raise Conflict(
            gettext_lazy("You can share your entry once it is published."), code="not_shareable"
        )
    link = ShareLink.objects.filter(submission=submission, owner=owner).first()
    if link is not None:
        link.is_new = False  # type: ignore[attr-defined]
        return link
    for _attempt in range(_CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                link = ShareLink.objects.create(
                    code=_new_code(), submission=submission, owner=owner
                )
        except IntegrityError:
            link = ShareLink.objects.filter(submission=submission, owner=owner).first()
            if link is None:
                continue  # the code was taken: draw another
            link.is_new = False  # type: ignore[attr-defined]
            return link
        link.is_new = True  # type: ignore[attr-defined]
        _cache_set(link.code, ShareTarget(link.pk, link.submission_id, link.owner_id))
        return link
    raise RuntimeError("Could not draw a free share code.")  # 2^56 codes: never in practice


# --- Resolving a code (the hot path) -----------------------------------------------------------


def _cache_set(code: str, target: ShareTarget | None) -> None:
    value = (target.link_id, target.submission_id, target.owner_id) if target else ()
    timeout = CACHE_TIMEOUT if target else CACHE_MISSING_TIMEOUT
    try:
        cache.set(CACHE_PREFIX + code, value, timeout)
    except Exception:  # the cache is an optimisation; Redis down must not break the redirect
        logger.warning("share link cache unavailable", exc_info=True)


def share_target_forget(*, code: str) -> None:
    """Drop a code from the cache (its link is gone)."""
    try:
        cache.delete(CACHE_PREFIX + code)
    except Exception:
        logger.warning("share link cache unavailable", exc_info=True)


def share_target_get(*, code: str) -> ShareTarget | None:
    """The link behind a code: from the cache, else one database read that fills it.

    None for a code that does not exist (remembered briefly, so a scanner costs no reads).
    """
    if not _CODE_RE.fullmatch(code):
        return None
    try:
        cached = cache.get(CACHE_PREFIX + code)
    except Exception:
        logger.warning("share link cache unavailable", exc_info=True)
        cached = None
    if cached is not None:
        return ShareTarget(*cached) if cached else None
    row = ShareLink.objects.filter(code=code).values_list("id", "submission_id", "owner_id").first()
    target = ShareTarget(*row) if row else None
    _cache_set(code, target)
    return target


# --- Addresses and the QR code -----------------------------------------------------------------


def share_url(*, request: HttpRequest, code: str, channel: str | None = None) -> str:
    """The absolute personal link, tagged with its channel (`?c=`) when given."""
    url = request.build_absolute_uri(reverse("share-redirect", args=[code]))
    return f"{url}?{urlencode({'c': channel})}" if channel else url


def qr_svg(data: str) -> str:
    """A QR code of `data` as an SVG document (black on white, 2 mm modules, 4-module border)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=20,
        border=4,
        image_factory=SvgPathFillImage,
    )
    code.add_data(data)
    code.make(fit=True)
    return code.make_image().to_string(encoding="unicode")


def qr_svg_inline(data: str, *, label: str) -> SafeString:
    """The QR code for an HTML page: sized by CSS, announced as an image with `label`."""
    svg = re.sub(r'\s(?:width|height)="[^"]*"', "", qr_svg(data), count=2)
    svg = svg.replace(' id="qr-path"', "")
    attributes = f'<svg class="share-qr__code" role="img" aria-label="{escape(label)}" '
    # The library's output is numbers and fixed markup; only our own label is added.
    return mark_safe(svg.replace("<svg ", attributes, 1))  # noqa: S308


# --- Share buttons -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareButton:
    channel: str
    label: str
    href: str
    new_tab: bool = True


def share_buttons(*, request: HttpRequest, code: str, text: str) -> list[ShareButton]:
    """Plain links to each network's share page, each carrying the link tagged with its channel."""
    Channel = ShareHit.Channel

    def tagged(channel: str) -> str:
        return quote(share_url(request=request, code=code, channel=channel), safe="")

    def on(network: str) -> str:
        return _("Share on %(network)s") % {"network": network}

    words = quote(text, safe="")
    return [
        ShareButton(
            Channel.X, on("X"), f"https://x.com/intent/tweet?text={words}&url={tagged(Channel.X)}"
        ),
        ShareButton(
            Channel.FACEBOOK,
            on("Facebook"),
            f"https://www.facebook.com/sharer/sharer.php?u={tagged(Channel.FACEBOOK)}",
        ),
        ShareButton(
            Channel.LINKEDIN,
            on("LinkedIn"),
            f"https://www.linkedin.com/sharing/share-offsite/?url={tagged(Channel.LINKEDIN)}",
        ),
        ShareButton(
            Channel.WHATSAPP,
            on("WhatsApp"),
            f"https://wa.me/?text={words}%20{tagged(Channel.WHATSAPP)}",
        ),
        ShareButton(
            Channel.TELEGRAM,
            on("Telegram"),
            f"https://t.me/share/url?url={tagged(Channel.TELEGRAM)}&text={words}",
        ),
        ShareButton(
            Channel.EMAIL,
            _("Send by email"),
            f"mailto:?subject={words}&body={words}%0A%0A{tagged(Channel.EMAIL)}",
            new_tab=False,
        ),
    ]


# --- Statistics ----------------------------------------------------------------------------------


@dataclass
class ChannelCount:
    channel: str
    label: str
    clicks: int


@dataclass
class LinkStats:
    code: str
    owner_id: int
    counted_clicks: int = 0
    channels: dict[str, int] = field(default_factory=dict)
    referrals_signed_up: int = 0
    referrals_verified: int = 0


@dataclass
class ShareStats:
    """Counted clicks (per link and channel) and referrals of an entry's share links."""

    links: list[LinkStats]
    counted_clicks: int
    channels: list[ChannelCount]
    referrals_signed_up: int
    referrals_verified: int


def share_stats_for_submission(*, submission_id: int) -> ShareStats:
    """The numbers of an entry's share links: three queries. Callers check who may see them."""
    links = {
        row["id"]: LinkStats(code=row["code"], owner_id=row["owner_id"])
        for row in ShareLink.objects.filter(submission_id=submission_id)
        .order_by("id")
        .values("id", "code", "owner_id")
    }
    totals: dict[str, int] = defaultdict(int)
    clicks = (
        ShareClick.objects.filter(link__submission_id=submission_id)
        .values("link_id", "channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in clicks:
        stats = links[row["link_id"]]
        stats.channels[row["channel"]] = row["n"]
        stats.counted_clicks += row["n"]
        totals[row["channel"]] += row["n"]
    referrals = (
        Referral.objects.filter(link__submission_id=submission_id)
        .values("link_id")
        .annotate(n=Count("id"), verified=Count("id", filter=Q(verified_at__isnull=False)))
        .order_by()
    )
    for row in referrals:
        links[row["link_id"]].referrals_signed_up = row["n"]
        links[row["link_id"]].referrals_verified = row["verified"]
    labels = dict(ShareHit.Channel.choices)
    channels = [
        ChannelCount(channel, str(labels[channel]), totals[channel])
        for channel in ShareHit.Channel.values
        if totals.get(channel)
    ]
    return ShareStats(
        links=list(links.values()),
        counted_clicks=sum(totals.values()),
        channels=channels,
        referrals_signed_up=sum(s.referrals_signed_up for s in links.values()),
        referrals_verified=sum(s.referrals_verified for s in links.values()),
    )


def share_stats_get(*, submission_id: int, user: User) -> tuple[Submission, ShareStats]:
    """An entry's share numbers for its author or a member of the campaign's brand.

    Http404 when the user may not see the entry (as its page); PermissionDenied
    (`not_allowed`) when they see it but it is neither theirs nor their brand's.
    """
    submission = submission_get_public(submission_id=submission_id, user=user)
    is_author = user.is_authenticated and user.pk == submission.author_id
    if not is_author and not (
        brands_for_user(user=user).filter(pk=submission.campaign.brand_id).exists()
    ):
        raise PermissionDenied(
            gettext_lazy(
                "Only the entry's author and the campaign's brand see its share statistics."
            ),
            code="not_allowed",
        )
    return submission, share_stats_for_submission(submission_id=submission.pk)


# --- The share panel on the entry page ---------------------------------------------------------


@dataclass
class SharePanel:
    shareable: bool
    url: str = ""
    copy_url: str = ""
    native_url: str = ""
    title: str = ""
    text: str = ""
    buttons: list[ShareButton] = field(default_factory=list)
    qr: SafeString | str = ""
    qr_download_url: str = ""
    stats: ShareStats | None = None


def share_panel_get(*, request: HttpRequest, submission: Submission) -> SharePanel | None:
    """What the entry's author sees to share it (None for anyone else).

    Makes the author's link on their first visit once the entry is public; four or five
    queries in all (link, then the statistics).
    """
    user = request.user
    if not user.is_authenticated or user.pk != submission.author_id:
        return None
    if not submission_is_shareable(submission=submission):
        return SharePanel(shareable=False)
    link = share_link_get_or_create(submission=submission, owner=user)
    campaign = submission.campaign
    title = submission.caption or campaign.title
    text = _("My entry to “%(campaign)s”: have a look!") % {"campaign": campaign.title}
    return SharePanel(
        shareable=True,
        url=share_url(request=request, code=link.code),
        copy_url=share_url(request=request, code=link.code, channel=ShareHit.Channel.COPY),
        native_url=share_url(request=request, code=link.code, channel=ShareHit.Channel.NATIVE),
        title=title,
        text=text,
        buttons=share_buttons(request=request, code=link.code, text=text),
        qr=qr_svg_inline(
            share_url(request=request, code=link.code, channel=QR_CHANNEL),
            label=_("QR code of your share link"),
        ),
        qr_download_url=reverse("share-qr", args=[link.code]),
        stats=share_stats_for_submission(submission_id=submission.pk),
    )
