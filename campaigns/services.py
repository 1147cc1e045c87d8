"""Writes about campaigns: creation, editing, the lifecycle and the side effects of phase changes.

Who may change a campaign is decided here (owners and managers of its brand; analysts only
read), so pages, API and admin share the rule.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand, User
from accounts.selectors import EDITOR_ROLES, brand_role_require
from campaigns.formatting import rules_render
from campaigns.models import Campaign, CampaignTerms, Prize
from campaigns.selectors import campaign_terms_current
from core.enqueue import task_enqueue
from core.exceptions import ApplicationError, Conflict, application_error_from_validation
from core.images import image_clean

logger = logging.getLogger(__name__)

COVER_MAX_SIDE = 1600

# What may change while a campaign is open: its words and prizes, and its end. The entry rules
# (kinds, limits, moderation) and the start stay as participants found them.
EDITABLE_WHILE_OPEN = frozenset(
    {"title", "brief", "rules", "hashtag", "ends_at", "cover", "prizes", "terms"}
)
# Scoring and winner rules are part of the entry rules: fixed once the campaign opens.
SCORING_FIELDS = frozenset(
    {
        "points_entry",
        "points_like",
        "points_click",
        "points_referral",
        "hide_live_counts",
        "leaderboard_freeze_hours",
        "winner_rule",
        "winner_count",
    }
)
EDITABLE_FIELDS = (
    EDITABLE_WHILE_OPEN
    | SCORING_FIELDS
    | {
        "slug",
        "starts_at",
        "allow_photo",
        "allow_text",
        "allow_video",
        "text_max_length",
        "max_entries_per_participant",
        "moderation_mode",
    }
)

PrizeList = Iterable[tuple[int, str]]


def _enqueue_phase_sync() -> None:
    from campaigns.tasks import campaign_phases_sync_task

    # Beat runs it every 15 s anyway: this only saves the wait.
    transaction.on_commit(lambda: task_enqueue(campaign_phases_sync_task))


def _save_cover(campaign: Campaign, cover: IO[bytes], cover_name: str) -> None:
    clean = image_clean(upload=cover, name=cover_name, max_side=COVER_MAX_SIDE)
    campaign.cover.save(clean.content.name, clean.content, save=False)
    campaign.cover_width, campaign.cover_height = clean.width, clean.height


# Words the brand pages use after /campaigns/ (for example /campaigns/new/).
RESERVED_SLUGS = frozenset({"new", "edit", "create"})


def _slug_taken() -> ApplicationError:
    return ApplicationError(
        _("Another campaign already uses this address."),
        code="slug_taken",
        fields={"slug": [_("Already taken.")]},
    )


def _full_clean(campaign: Campaign) -> None:
    if campaign.slug in RESERVED_SLUGS:
        raise ApplicationError(
            _("This address is reserved; choose another."),
            code="slug_reserved",
            fields={"slug": [_("Reserved.")]},
        )
    try:
        # Uniqueness is the database's job (and gives our own message, races included).
        campaign.full_clean(exclude=["cover", "brand", "created_by"], validate_unique=False)
    except ValidationError as exc:
        raise application_error_from_validation(exc) from None
    if Campaign.objects.filter(slug=campaign.slug).exclude(pk=campaign.pk).exists():
        raise _slug_taken()


def _save_row(campaign: Campaign, *, new_cover: str = "") -> None:
    """Save, removing a cover file written for this save if the row cannot be stored."""
    try:
        with transaction.atomic():
            campaign.save()
    except IntegrityError:
        if new_cover:
            campaign.cover.storage.delete(new_cover)
        raise _slug_taken() from None


def _prizes_clean(prizes: PrizeList) -> dict[int, str]:
    cleaned: dict[int, str] = {}
    for rank, description in prizes:
        description = (description or "").strip()
        if not description:
            continue
        if rank < 1:
            raise ApplicationError(
                _("Prize ranks start at 1."), fields={"prizes": [_("Prize ranks start at 1.")]}
            )
        if rank in cleaned:
            raise ApplicationError(
                _("Two prizes have rank %(rank)d.") % {"rank": rank},
                fields={"prizes": [_("Each rank can have one prize.")]},
            )
        if len(description) > 300:
            raise ApplicationError(
                _("A prize description can be at most 300 characters."),
                fields={"prizes": [_("Too long.")]},
            )
        cleaned[rank] = description
    return cleaned


def _prizes_replace(campaign: Campaign, cleaned: dict[int, str]) -> None:
    campaign.prizes.all().delete()
    Prize.objects.bulk_create(
        Prize(campaign=campaign, rank=rank, description=text)
        for rank, text in sorted(cleaned.items())
    )


def _terms_check(campaign: Campaign, text: str) -> None:
    if campaign.pk and not (text or "").strip() and campaign_terms_current(campaign=campaign):
        raise ApplicationError(
            _("Terms cannot be removed once set; publish a new version instead."),
            fields={"terms": [_("Required once set.")]},
        )


def _terms_set(campaign: Campaign, text: str) -> CampaignTerms | None:
    """Add a terms version when the text changed; versions already accepted are never edited."""
    text = (text or "").strip()
    current = campaign_terms_current(campaign=campaign)
    if current is not None and current.text == text:
        return current
    if not text:
        return current
    version = current.version + 1 if current else 1
    return CampaignTerms.objects.create(campaign=campaign, version=version, text=text)


@transaction.atomic
def campaign_create(
    *,
    brand: Brand,
    title: str,
    slug: str,
    starts_at: datetime,
    ends_at: datetime,
    brief: str = "",
    rules: str = "",
    hashtag: str = "",
    cover: IO[bytes] | None = None,
    cover_name: str = "",
    created_by: User | None = None,
    allow_photo: bool = True,
    allow_text: bool = True,
    allow_video: bool = False,
    text_max_length: int = 280,
    max_entries_per_participant: int = 3,
    moderation_mode: str = Campaign.ModerationMode.PRE,
    prizes: PrizeList = (),
    terms: str = "",
    publish: bool = False,
    **scoring: Any,
) -> Campaign:
    """Create a campaign (a draft unless `publish`); the cover is re-encoded before storing.

    `created_by` is the acting person and must be an owner or manager of `brand`; None means
    the system (seed data, commands). `scoring` takes the SCORING_FIELDS (points per fact,
    hiding and freezing the leaderboard, the winner rule and count); defaults are the
    architecture's numbers.
    """
    unknown = set(scoring) - SCORING_FIELDS
    if unknown:
        raise ApplicationError(
            _("These settings cannot be set: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    if created_by is not None:
        brand_role_require(user=created_by, brand=brand, roles=EDITOR_ROLES)
    if ends_at <= starts_at:
        raise ApplicationError(
            _("The end must come after the start."), fields={"ends_at": [_("Too early.")]}
        )
    campaign = Campaign(
        brand=brand,
        title=title.strip(),
        slug=slug,
        brief=brief,
        rules=rules,
        rules_html=rules_render(rules),
        hashtag=hashtag.strip().lstrip("#"),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
        allow_photo=allow_photo,
        allow_text=allow_text,
        allow_video=allow_video,
        text_max_length=text_max_length,
        max_entries_per_participant=max_entries_per_participant,
        moderation_mode=moderation_mode,
        status=Campaign.Status.DRAFT,
        **scoring,
    )
    _full_clean(campaign)
    # A person publishing something already over is a mistake; the system may record history.
    if publish and created_by is not None and ends_at <= timezone.now():
        raise ApplicationError(
            _("This campaign would already be over: choose an end date in the future."),
            code="ends_in_past",
            fields={"ends_at": [_("In the past.")]},
        )
    cleaned_prizes = _prizes_clean(prizes)
    # Every check has passed: only now is a file written.
    if cover is not None:
        _save_cover(campaign, cover, cover_name)
    if publish:
        campaign.status = Campaign.Status.PUBLISHED
    _save_row(campaign, new_cover=campaign.cover.name if cover is not None else "")
    _prizes_replace(campaign, cleaned_prizes)
    _terms_set(campaign, terms)
    if publish:
        _enqueue_phase_sync()
    return campaign


def _setting_label(name: str) -> str:
    """A campaign setting as people read it: the field's label, in the current language."""
    try:
        return str(Campaign._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    actor: User,
    data: dict[str, Any],
    cover_name: str = "",
    now: datetime | None = None,
) -> Campaign:
    """Change a campaign's settings, as far as its phase allows.

    Drafts and scheduled campaigns change freely; an open campaign keeps its entry rules and
    start; a closed one no longer changes. `data` holds only the fields to change (see
    EDITABLE_FIELDS); `prizes` is a list of (rank, description), `terms` the full terms text
    (a change adds a version), `cover` an uploaded file.
    """
    moment = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    brand_role_require(user=actor, brand=campaign.brand, roles=EDITOR_ROLES)
    unknown = sorted(set(data) - EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These settings cannot be changed: %(fields)s.")
            % {"fields": ", ".join(_setting_label(name) for name in unknown)},
            fields={name: [_("This setting cannot be changed here.")] for name in unknown},
        )
    phase = campaign.phase_at(moment)
    if phase == Campaign.Phase.CLOSED:
        raise Conflict(
            _("This campaign is closed and can no longer be changed."), code="campaign_closed"
        )
    if phase == Campaign.Phase.OPEN:
        locked = {
            name
            for name in set(data) - EDITABLE_WHILE_OPEN
            if getattr(campaign, name) != data[name]
        }
        if locked:
            raise Conflict(
                _("While a campaign is open its entry rules and start stay as they are."),
                code="campaign_open_locked",
                fields={name: [_("Locked while the campaign is open.")] for name in sorted(locked)},
            )
        if "ends_at" in data and data["ends_at"] <= moment:
            raise ApplicationError(
                _("To end the campaign now, use Close; a new end date must be in the future."),
                code="ends_in_past",
                fields={"ends_at": [_("In the past.")]},
            )

    prizes = data.pop("prizes", None)
    terms = data.pop("terms", None)
    cover = data.pop("cover", None)
    for name, value in data.items():
        if name == "hashtag":
            value = (value or "").strip().lstrip("#")
        setattr(campaign, name, value)
    if "rules" in data:
        campaign.rules_html = rules_render(campaign.rules)
    if campaign.ends_at <= campaign.starts_at:
        raise ApplicationError(
            _("The end must come after the start."), fields={"ends_at": [_("Too early.")]}
        )
    _full_clean(campaign)
    cleaned_prizes = _prizes_clean(prizes) if prizes is not None else None
    if terms is not None:
        _terms_check(campaign, terms)
    old_cover = campaign.cover.name if campaign.cover else ""
    if cover is not None:
        _save_cover(campaign, cover, cover_name or getattr(cover, "name", ""))
    _save_row(campaign, new_cover=campaign.cover.name if cover is not None else "")
    if cover is not None and old_cover and old_cover != campaign.cover.name:
        storage = campaign.cover.storage
        transaction.on_commit(lambda: storage.delete(old_cover))
    if cleaned_prizes is not None:
        _prizes_replace(campaign, cleaned_prizes)
    if terms is not None:
        _terms_set(campaign, terms)
    if campaign.status == Campaign.Status.PUBLISHED:
        _enqueue_phase_sync()
    return campaign


@transaction.atomic
def campaign_publish(*, campaign: Campaign, actor: User, now: datetime | None = None) -> Campaign:
    """Publish a draft: it opens at its start (at once if the start has passed).

    Publishing a draft whose start lies ahead is what the brand dashboard calls scheduling.
    """
    moment = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    brand_role_require(user=actor, brand=campaign.brand, roles=EDITOR_ROLES)
    if campaign.status == Campaign.Status.PUBLISHED:
        raise Conflict(_("This campaign is already published."), code="already_published")
    if campaign.ends_at <= moment:
        raise ApplicationError(
            _("This campaign would already be over: choose an end date in the future."),
            code="ends_in_past",
            fields={"ends_at": [_("In the past.")]},
        )
    campaign.status = Campaign.Status.PUBLISHED
    campaign.save(update_fields=["status", "updated_at"])
    _enqueue_phase_sync()
    return campaign


@transaction.atomic
def campaign_unpublish(*, campaign: Campaign, actor: User, now: datetime | None = None) -> Campaign:
    """Take a scheduled campaign back to draft; an open one can only be closed."""
    moment = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    brand_role_require(user=actor, brand=campaign.brand, roles=EDITOR_ROLES)
    phase = campaign.phase_at(moment)
    if phase != Campaign.Phase.SCHEDULED:
        raise Conflict(_("Only a scheduled campaign can go back to draft."), code="not_scheduled")
    campaign.status = Campaign.Status.DRAFT
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def campaign_close(*, campaign: Campaign, actor: User, now: datetime | None = None) -> Campaign:
    """End an open campaign now; what closing triggers follows as if its end date had come."""
    moment = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    brand_role_require(user=actor, brand=campaign.brand, roles=EDITOR_ROLES)
    if campaign.phase_at(moment) != Campaign.Phase.OPEN:
        raise Conflict(_("Only an open campaign can be closed."), code="not_open")
    campaign.ends_at = moment
    campaign.save(update_fields=["ends_at", "updated_at"])
    _enqueue_phase_sync()
    return campaign


@dataclass(frozen=True)
class PhaseSync:
    opened: list[int]
    closed: list[int]


def _campaign_open(*, campaign_id: int, now: datetime) -> bool:
    """Perform what opening triggers, once. Must run inside a transaction."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.opened_at is not None or campaign.phase_at(now) not in (
        Campaign.Phase.OPEN,
        Campaign.Phase.CLOSED,
    ):
        return False
    campaign.opened_at = now
    campaign.save(update_fields=["opened_at", "updated_at"])
    logger.info("campaign %s opened", campaign.slug)
    return True


def _campaign_close(*, campaign_id: int, now: datetime) -> bool:
    """Perform what closing triggers, once. Must run inside a transaction."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.closed_at is not None or campaign.phase_at(now) != Campaign.Phase.CLOSED:
        return False
    from campaigns.winners import campaign_winners_choose

    campaign.closed_at = now
    campaign.save(update_fields=["closed_at", "updated_at"])
    campaign_winners_choose(campaign=campaign, now=now)
    logger.info("campaign %s closed", campaign.slug)
    return True


def campaign_phases_sync(*, now: datetime | None = None) -> PhaseSync:
    """Perform the side effects of every phase change that has come due, each exactly once.

    Safe to run at any time and any number of times, concurrently too: each campaign is locked
    and its recorded state checked before anything changes.
    """
    moment = now or timezone.now()
    due_open = Campaign.objects.published().filter(opened_at__isnull=True, starts_at__lte=moment)
    due_close = Campaign.objects.published().filter(closed_at__isnull=True, ends_at__lte=moment)
    opened, closed = [], []
    for campaign_id in due_open.values_list("pk", flat=True):
        with transaction.atomic():
            if _campaign_open(campaign_id=campaign_id, now=moment):
                opened.append(campaign_id)
    closing = list(due_close.values_list("pk", flat=True))
    if closing:
        # Whatever was liked, shared or decided before the end must be in the standings that
        # closing freezes: derive it now rather than trust that every task has run.
        from sharing.clicks import clicks_derive
        from sharing.points import campaign_engagement_repair

        clicks_derive()
        for campaign_id in closing:
            campaign_engagement_repair(campaign_id=campaign_id, rebuild=False)
    for campaign_id in closing:
        with transaction.atomic():
            if _campaign_close(campaign_id=campaign_id, now=moment):
                closed.append(campaign_id)
    # Winners whose email task never ran (the broker was away): tell them now, once.
    from campaigns.winners import winners_notify, winners_notify_due

    for campaign_id in winners_notify_due(now=moment):
        winners_notify(campaign_id=campaign_id)
    return PhaseSync(opened=opened, closed=closed)
