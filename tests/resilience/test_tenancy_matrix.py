"""The tenancy matrix: every brand-scoped route x method x actor, and no answer leaks brand A.

The routes come from the URL configuration (`get_resolver()`, walked through every include) and
the API's operations from its OpenAPI schema (drf-spectacular's generator), so a new route or
endpoint joins the matrix by itself, and `test_every_route_is_classified` fails until someone
says what kind of route it is. A route is brand-scoped when a parameter of its pattern names an
object of a brand (`BRAND_PARAMS`), not because of its name.

Brand A's objects carry unique marker strings: its name, its campaigns' titles, briefs, rules,
prizes and terms, entries still pending moderation or rejected, hidden comments, member and
invitation emails, a winner's disqualification reason, a pending photo's file name. Every answer
to someone outside brand A (brand B's owner, a verified participant, an anonymous visitor) is
searched for them, body and `Location` alike. Public markers (an open campaign's title, an
approved entry) may appear only on the routes of `SHOWS_PUBLIC_DATA`, each with its reason, and
only when the URL names a public object; secret markers never appear.

The actors: brand A's owner, brand A's analyst, brand B's owner, a participant, anonymous.
The rules, per kind of route:

- brand (a brand's own pages and endpoints): the owner reaches them; the analyst reads and gets
  403 with the role message on every write, which changes nothing; brand B's owner and the
  participant get 404 (never 403: that would confirm the object exists), also when the URL
  names brand B with brand A's objects; anonymous gets the login redirect (pages) or 401 (API).
- public (reads anyone may make of a published campaign, an approved entry): 200 for all on
  public objects; on a draft, a pending, rejected or hidden entry, a hidden comment, 404 for
  everyone outside the brand.
- engage (what a signed-in participant does to public objects: enter, like, comment, report,
  share, their own points): private objects are 404 to outsiders; brand B's owner gets exactly
  what a participant gets; brand A's analyst what its owner gets (both are the brand's people).
- capability (the URL is the secret: an invitation token, a share code, a media file name).
- staff (the admin): none of the five actors is staff; every admin route sends them to its login.
- account (no object of a brand in the URL: lists of one's own things, public lists): read by
  every actor and searched for markers.

Each request runs in a savepoint that is rolled back, so one attempt never feeds the next; for
writes, brand A's rows (counts, `updated_at`, every column) are compared before and after.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Brand, BrandInvitation, BrandMembership, User
from campaigns.models import Campaign, CampaignTerms, FinalStanding, Prize, Winner, WinnerDraw
from sharing.models import PointEvent, ShareLink
from submissions.models import Comment, Like, ModerationDecision, Report, Submission
from tests.factories import (
    BrandFactory,
    CampaignFactory,
    CommentFactory,
    InvitationFactory,
    MembershipFactory,
    SubmissionFactory,
    UserFactory,
)
from tests.resilience.profile import PROFILE, scale

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

Role = BrandMembership.Role
State = Submission.State
DAY = timedelta(days=1)

ACTORS = ("owner", "analyst", "other_owner", "participant", "anonymous")
OUTSIDERS = ("other_owner", "participant", "anonymous")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOGIN_URL = "/accounts/login/"
ADMIN_LOGIN_URL = "/admin/login/"
# What brand_role_require says to an analyst (pages and API alike).
ANALYST_MESSAGE = "Analysts can see this brand"

BRAND, PUBLIC, ENGAGE, CAPABILITY, STAFF, ACCOUNT = (
    "brand",
    "public",
    "engage",
    "capability",
    "staff",
    "account",
)

# --- Classification ----------------------------------------------------------------------------

# A parameter of a URL pattern that names an object of a brand: the route is brand-scoped.
BRAND_PARAMS = {
    "brand_slug": "a brand",
    "slug": "a campaign",
    "submission_id": "an entry",
    "comment_id": "a comment on an entry",
    "user_id": "a member of a brand's team",
    "invitation_id": "an invitation to a brand's team",
    "participant_id": "a participant of a campaign",
    "code": "a share link of an entry",
    "token": "an invitation link",
    "path": "an uploaded file (entry photos, campaign covers)",
    "object_id": "any object, in the admin",
    "content_type_id": "any model, in the admin",
    "id": "a user, in the admin",
}
# Parameters that name no object of a brand.
OTHER_PARAMS = {
    "key": "an email confirmation or password reset key (allauth), the visitor's own",
    "uidb36": "the user of a password reset key (allauth)",
    "app_label": "an app's index in the admin",
    "url": "the admin's catch-all",
}

# Every route outside the admin and allauth, by name: its kind, per method where they differ.
# A route missing here fails test_every_route_is_classified.
KINDS: dict[str, str | dict[str, str]] = {
    "home": ACCOUNT,
    "healthz": ACCOUNT,
    "set_language": ACCOUNT,
    "profile": ACCOUNT,
    "brand-dashboard": ACCOUNT,
    "my-entries": ACCOUNT,
    "notifications": ACCOUNT,
    "media": CAPABILITY,
    # Brand pages.
    "brand-team": BRAND,
    "brand-team-invite": BRAND,
    "brand-team-leave": BRAND,
    "brand-team-role": BRAND,
    "brand-team-remove": BRAND,
    "brand-invitation-revoke": BRAND,
    "brand-campaign-create": BRAND,
    "brand-campaign-manage": BRAND,
    "brand-campaign-edit": BRAND,
    "brand-campaign-publish": BRAND,
    "brand-campaign-unpublish": BRAND,
    "brand-campaign-analytics": BRAND,
    "brand-campaign-close": BRAND,
    "brand-points-statement": BRAND,
    "brand-invitation-accept": CAPABILITY,
    # Participant pages.
    "campaign-detail": PUBLIC,
    "campaign-leaderboard": PUBLIC,
    "entry-detail": PUBLIC,
    "entry-create": ENGAGE,
    "entry-like": ENGAGE,
    "comment-create": ENGAGE,
    "entry-report": ENGAGE,
    "comment-edit": ENGAGE,
    "comment-delete": ENGAGE,
    "comment-report": ENGAGE,
    "points-statement": ENGAGE,
    "share-redirect": CAPABILITY,
    "share-qr": CAPABILITY,
    # The API.
    "api-token": ACCOUNT,
    "api-me": ACCOUNT,
    "api-brands": ACCOUNT,
    "api-schema": ACCOUNT,
    "api-docs": ACCOUNT,
    # The body of the POST names the brand: a brand write like any other.
    "api-campaigns": {"GET": ACCOUNT, "POST": BRAND},
    "api-brand-campaigns": BRAND,
    "api-campaign": {"GET": PUBLIC, "PATCH": BRAND},
    "api-campaign-publish": BRAND,
    "api-campaign-unpublish": BRAND,
    "api-campaign-close": BRAND,
    "api-campaign-submissions": {"GET": PUBLIC, "POST": ENGAGE},
    "api-campaign-leaderboard": PUBLIC,
    "api-campaign-points": ENGAGE,
    "api-submission": PUBLIC,
    "api-submission-like": ENGAGE,
    "api-submission-comments": {"GET": PUBLIC, "POST": ENGAGE},
    "api-submission-reports": ENGAGE,
    "api-submission-share-links": ENGAGE,
    "api-submission-share-stats": ENGAGE,
    "api-comment": ENGAGE,
    "api-comment-reports": ENGAGE,
}

# The routes that may show brand A's public data to people outside brand A, and why. Only when
# the URL names a public object (a published campaign, an approved entry, a visible comment);
# secret data never, anywhere.
SHOWS_PUBLIC_DATA = {
    "home": "lists the open and upcoming campaigns with their brands",
    "api-campaigns": "lists the open campaigns with their brands",
    "campaign-detail": "a published campaign's page: brief, rules, prizes, approved entries, "
    "leaderboard, winners",
    "campaign-leaderboard": "a published campaign's leaderboard, with its title",
    "entry-detail": "an approved entry, its visible comments and its campaign",
    "entry-create": "the entry form names the campaign and shows its terms",
    "entry-like": "goes back to the approved entry",
    "comment-create": "a refused comment shows the entry page again",
    "entry-report": "the report form names the entry",
    "comment-edit": "the form names the comment and its entry",
    "comment-delete": "the confirmation shows the comment",
    "comment-report": "the report form names the comment",
    "points-statement": "one's own statement names the campaign",
    "share-redirect": "goes to the approved entry's page",
    "share-qr": "the QR code of a link to an approved entry",
    "api-campaign": "a published campaign as its page shows it",
    "api-campaign-submissions": "a published campaign's approved entries; a new entry echoed",
    "api-campaign-leaderboard": "a published campaign's leaderboard",
    "api-campaign-points": "one's own statement names the campaign",
    "api-submission": "an approved entry",
    "api-submission-comments": "an approved entry's visible comments",
    "api-submission-like": "the like just given to an approved entry",
    "api-submission-reports": "the report just made about an approved entry",
    "api-submission-share-links": "one's own link to an approved entry",
    "api-submission-share-stats": "statistics of an approved entry",
    "api-comment": "a visible comment",
    "api-comment-reports": "the report just made about a visible comment",
}

# The admin's pages that anyone may open: they show no brand's data.
ADMIN_OPEN = {"admin:login", "admin:logout"}

# Writes an analyst may make on a brand route, and why (each still may not touch anyone else).
ANALYST_MAY_WRITE = {"brand-team-leave": "anyone may leave a team, an analyst too"}

# Form pages that exist only to change something: an analyst's GET may be a 403 that says why.
ANALYST_FORBIDDEN_FORMS = {"brand-campaign-create", "brand-campaign-close"}


@dataclass(frozen=True)
class Route:
    route: str  # the full pattern, as written in the URL configuration
    name: str  # "namespace:name", or "" for an unnamed one
    params: tuple[str, ...]
    callback: Any = field(default=None, compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        return self.name or self.route

    @property
    def api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def admin(self) -> bool:
        """Behind the admin's staff check (its login and logout pages are not)."""
        return self.route.startswith("admin/") and self.name not in ADMIN_OPEN

    @property
    def allauth(self) -> bool:
        return self.route.lstrip("^").startswith("accounts/") and self.name.startswith("account_")

    @property
    def brand_scoped(self) -> bool:
        return any(p in BRAND_PARAMS for p in self.params)

    def kind(self, method: str) -> str | None:
        if self.admin:
            return STAFF
        if (self.allauth or self.name in ADMIN_OPEN) and not self.brand_scoped:
            return ACCOUNT
        kind = KINDS.get(self.name)
        if isinstance(kind, dict):
            return kind.get(method, kind.get("GET"))
        return kind


def _params(pattern: Any) -> list[str]:
    converters = getattr(pattern, "converters", None)
    if converters is not None and hasattr(pattern, "_route"):
        return list(converters)
    return list(pattern.regex.groupindex)


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "", params=()) -> list[Route]:
    routes = []
    for entry in resolver.url_patterns:
        here = (*params, *_params(entry.pattern))
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            routes += _walk(entry, prefix + str(entry.pattern), ns, here)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            routes.append(Route(prefix + str(entry.pattern), name, here, entry.callback))
    return routes


ALL_ROUTES = _walk(get_resolver())
# Pages every ModelAdmin has besides its list (where moderators' actions are posted), change
# and delete: the same staff check guards them, so the short profile leaves them to the long
# one. A custom admin URL is always in.
ADMIN_STANDARD = re.compile(
    r"^admin:(\w+_(add|history)|index|app_list|autocomplete|jsi18n|password_change(_done)?)$"
)


def _in_profile(route: Route) -> bool:
    if route.route == "admin/(?P<url>.*)$":
        return False  # the admin's catch-all: it only redirects to the admin's pages
    if PROFILE == "short" and route.admin:
        return bool(route.name) and not ADMIN_STANDARD.match(route.name)
    return True


MATRIX_ROUTES = [r for r in ALL_ROUTES if _in_profile(r)]


def route_url(route: Route, values: dict[str, Any]) -> str:
    """The URL of a route with these parameter values (regex routes included)."""

    def value(name: str) -> str:
        return str(values[name])

    text = re.sub(r"<(?:[^>:]+:)?(\w+)>", lambda m: value(m.group(1)), route.route)
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), text)
    return "/" + text.replace("^", "").replace("$", "")


def schema_path(route: Route) -> str:
    return "/" + re.sub(r"<(?:[^>:]+:)?(\w+)>", r"{\1}", route.route)


# --- Brand A, brand B and the markers ----------------------------------------------------------


class Markers:
    """Unique strings planted in brand A's data: `public` ones and `secret` ones."""

    def __init__(self) -> None:
        self.public: dict[str, str] = {}
        self.secret: dict[str, str] = {}

    def _make(self, table: dict[str, str], what: str) -> str:
        word = re.sub(r"\W", "", what)
        marker = f"tnxmk{len(self.public) + len(self.secret):03d}{word}"
        table[marker.lower()] = what
        return marker

    def pub(self, what: str) -> str:
        return self._make(self.public, what)

    def sec(self, what: str) -> str:
        return self._make(self.secret, what)

    def found(self, text: str) -> dict[str, str]:
        lowered = text.lower()
        return {m: what for m, what in (self.public | self.secret).items() if m in lowered}


@dataclass
class World:
    markers: Markers
    brand: Brand
    other_brand: Brand
    users: dict[str, User]
    sessions: dict[str, str]
    manager: User
    entrant: User
    campaigns: dict[str, list[Campaign]]  # draft, scheduled, open, closed
    other_campaign: Campaign
    entries: dict[str, list[Submission]]
    comments: dict[str, Comment]
    invitation: BrandInvitation
    links: dict[str, ShareLink]
    admin_objects: dict[str, Any]
    pending_file: str
    members: list[User] = field(default_factory=list)
    baseline: dict[str, Any] = field(default_factory=dict)
    snapshot_sql: dict[bool, tuple[str, list[Any]]] = field(default_factory=dict)


def _campaign(world_markers: Markers, brand: Brand, phase: str, n: int, owner: User) -> Campaign:
    now = timezone.now()
    public = phase != "draft"
    mark = world_markers.pub if public else world_markers.sec
    dates = {
        "draft": (now + DAY, now + 9 * DAY),
        "scheduled": (now + 2 * DAY, now + 9 * DAY),
        "open": (now - DAY, now + 9 * DAY),
        "closed": (now - 9 * DAY, now - DAY),
    }[phase]
    campaign = CampaignFactory(
        brand=brand,
        slug=f"tnx-a-{phase}-{n}",
        title=f"Title {mark(f'{phase}{n}title')}",
        brief=f"Brief {mark(f'{phase}{n}brief')}",
        rules=f"Rules {mark(f'{phase}{n}rules')}",
        status=Campaign.Status.DRAFT if phase == "draft" else Campaign.Status.PUBLISHED,
        starts_at=dates[0],
        ends_at=dates[1],
        created_by=owner,
    )
    Prize.objects.create(campaign=campaign, rank=1, description=mark(f"{phase}{n}prize"))
    CampaignTerms.objects.create(campaign=campaign, version=1, text=mark(f"{phase}{n}terms"))
    return campaign


def _build_world() -> World:
    mk = Markers()
    brand = BrandFactory(
        name=f"Brand {mk.pub('brandname')}",
        slug="tnx-brand-a",
        description=mk.pub("branddescription"),
    )
    other_brand = BrandFactory(name="Other brand B", slug="tnx-brand-b")

    def member(role: str, label: str, of: Brand = brand, marked: bool = True) -> User:
        user = UserFactory(
            email=f"{mk.sec(label + 'email') if marked else label}@example.com",
            display_name=mk.sec(label + "name") if marked else label,
        )
        MembershipFactory(brand=of, user=user, role=role)
        return user

    users = {
        "owner": member(Role.OWNER, "owner"),
        "analyst": member(Role.ANALYST, "analyst"),
        "other_owner": member(Role.OWNER, "other-owner-b", of=other_brand, marked=False),
        "participant": UserFactory(email="participant-p@example.com", display_name="Pia P"),
    }
    manager = member(Role.MANAGER, "manager")
    # Authors: one of approved entries (their name is public), one of the rest (never public).
    entrant = UserFactory(
        email=f"{mk.sec('entrantemail')}@example.com", display_name=mk.pub("entrantname")
    )
    hidden_author = UserFactory(
        email=f"{mk.sec('hiddenauthoremail')}@example.com", display_name=mk.sec("hiddenauthorname")
    )

    per_state = scale(1, 3)
    # The short profile names one entry of each way of being private (its photo is pending).
    campaigns = {
        phase: [_campaign(mk, brand, phase, n, users["owner"]) for n in range(per_state)]
        for phase in ("draft", "scheduled", "open", "closed")
    }
    other_campaign = CampaignFactory(brand=other_brand, slug="tnx-b-open", title="B open")
    CampaignFactory(brand=other_brand, slug="tnx-b-draft", status=Campaign.Status.DRAFT)

    entries: dict[str, list[Submission]] = {k: [] for k in ("approved", "private")}
    comments: dict[str, Comment] = {}
    pending_file = mk.sec("pendingfile")
    for n, campaign in enumerate(campaigns["open"] + campaigns["closed"]):
        entries["approved"].append(
            SubmissionFactory(campaign=campaign, author=entrant, text=mk.pub(f"approved{n}text"))
        )
    for n, campaign in enumerate(campaigns["open"]):
        states = (
            (State.REJECTED,)
            if PROFILE == "short"
            else tuple((State.PENDING, State.REJECTED, State.HIDDEN))
        )
        for state in states:
            entries["private"].append(
                SubmissionFactory(
                    campaign=campaign,
                    author=hidden_author,
                    state=state,
                    caption=mk.sec(f"{state}{n}caption"),
                    text=mk.sec(f"{state}{n}text"),
                    state_reason=mk.sec(f"{state}{n}reason"),
                )
            )
        entries["private"].append(
            SubmissionFactory(
                campaign=campaign,
                author=hidden_author,
                kind=Submission.Kind.PHOTO,
                text="",
                image=f"submissions/{campaign.pk}/{pending_file}.jpg",
                image_width=800,
                image_height=600,
                state=State.PENDING,
            )
        )
    for n, campaign in enumerate(campaigns["draft"]):
        entries["private"].append(
            SubmissionFactory(
                campaign=campaign,
                author=hidden_author,
                state=State.PENDING,
                text=mk.sec(f"draft{n}entrytext"),
            )
        )
    approved = entries["approved"][0]
    comments["visible"] = CommentFactory(
        submission=approved, author=entrant, body=mk.pub("visiblecomment")
    )
    comments["hidden"] = CommentFactory(
        submission=approved, author=hidden_author, body=mk.sec("hiddencomment"), is_hidden=True
    )
    comments["on_pending"] = CommentFactory(
        submission=entries["private"][0], author=hidden_author, body=mk.sec("pendingcomment")
    )
    report = Report.objects.create(
        reporter=hidden_author, submission=approved, reason="other", details=mk.sec("reportdetails")
    )
    decision = ModerationDecision.objects.create(
        submission=entries["private"][1],
        moderator=UserFactory(is_staff=True),
        action=ModerationDecision.Action.REJECT,
        from_state=State.PENDING,
        to_state=State.REJECTED,
        reason=mk.sec("moderationreason"),
    )

    invitation = InvitationFactory(
        brand=brand, email=f"{mk.sec('inviteeemail')}@example.com", invited_by=users["owner"]
    )

    for n, campaign in enumerate(itertools.chain(*campaigns.values())):
        PointEvent.objects.create(
            campaign=campaign,
            participant=entrant,
            kind=PointEvent.Kind.ENTRY,
            points=10,
            key=f"tnx:entry:{n}",
        )
    closed = campaigns["closed"][0]
    FinalStanding.objects.create(
        campaign=closed, participant=entrant, rank=1, points=10, reached_ms=1
    )
    draw = WinnerDraw.objects.create(
        campaign=closed, rule=closed.winner_rule, reason=mk.sec("drawreason")
    )
    winner = Winner.objects.create(
        campaign=closed,
        draw=draw,
        rank=1,
        participant=entrant,
        submission=entries["approved"][len(campaigns["open"])],
        points=10,
    )
    Winner.objects.create(
        campaign=closed,
        draw=draw,
        rank=2,
        participant=hidden_author,
        points=0,
        disqualified_at=timezone.now(),
        disqualified_reason=mk.sec("disqualifiedreason"),
    )
    links = {
        "public": ShareLink.objects.create(code="tnxpub01", submission=approved, owner=entrant),
        "private": ShareLink.objects.create(
            code="tnxpriv01", submission=entries["private"][0], owner=hidden_author
        ),
    }
    token = Token.objects.create(user=users["owner"])
    admin_objects = {
        "accounts.brand": brand,
        "accounts.brandmembership": BrandMembership.objects.get(user=users["owner"]),
        "accounts.brandinvitation": invitation,
        "accounts.user": users["owner"],
        "account.emailaddress": users["owner"].emailaddress_set.first(),
        "authtoken.tokenproxy": token,
        "campaigns.campaign": campaigns["draft"][0],
        "campaigns.winner": winner,
        "campaigns.winnerdraw": draw,
        "submissions.submission": entries["private"][0],
        "submissions.comment": comments["hidden"],
        "submissions.report": report,
        "submissions.moderationdecision": decision,
    }
    sessions = {}
    for actor, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[actor] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return World(
        markers=mk,
        brand=brand,
        other_brand=other_brand,
        users=users,
        sessions=sessions,
        manager=manager,
        entrant=entrant,
        campaigns=campaigns,
        other_campaign=other_campaign,
        entries=entries,
        comments=comments,
        invitation=invitation,
        links=links,
        admin_objects=admin_objects,
        pending_file=pending_file,
    )


def _has_fields(model: Any, *names: str) -> bool:
    return all(any(f.name == n for f in model._meta.get_fields()) for n in names)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Brand A, brand B and their people, made once and rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = _build_world()
        built.members = list(User.objects.filter(memberships__brand=built.brand))
        built.baseline = snapshot(built, full=True)
        yield built
        transaction.set_rollback(True)


# --- "Changes nothing": brand A's rows before and after -----------------------------------------


def _brand_rows(world: World, *, full: bool) -> dict[str, QuerySet]:
    """Brand A's rows: what its people manage, and (`full`) the entries and engagement in it.

    Children are found through the ids brand A had at the start: a row added under a new
    campaign or entry shows as one more campaign or entry.
    """
    brand = world.brand
    campaigns = list(Campaign.objects.filter(brand=brand).values_list("pk", flat=True))
    entries = list(
        Submission.objects.filter(campaign_id__in=campaigns).values_list("pk", flat=True)
    )
    comments = list(Comment.objects.filter(submission_id__in=entries).values_list("pk", flat=True))
    rows: dict[str, QuerySet] = {
        "brand": Brand.objects.filter(pk=brand.pk),
        "memberships": BrandMembership.objects.filter(brand=brand),
        "members": User.objects.filter(pk__in=[u.pk for u in world.members]),
        "invitations": BrandInvitation.objects.filter(brand=brand),
        "campaigns": Campaign.objects.filter(brand=brand),
        "prizes": Prize.objects.filter(campaign_id__in=campaigns),
        "terms": CampaignTerms.objects.filter(campaign_id__in=campaigns),
        "winners": Winner.objects.filter(campaign_id__in=campaigns),
        "draws": WinnerDraw.objects.filter(campaign_id__in=campaigns),
        "final_standings": FinalStanding.objects.filter(campaign_id__in=campaigns),
    }
    if full:
        rows |= {
            "entries": Submission.objects.filter(campaign_id__in=campaigns),
            "comments": Comment.objects.filter(submission_id__in=entries),
            "likes": Like.objects.filter(submission_id__in=entries),
            "reports": Report.objects.filter(
                Q(submission_id__in=entries) | Q(comment_id__in=comments)
            ),
            "share_links": ShareLink.objects.filter(submission_id__in=entries),
            "point_events": PointEvent.objects.filter(campaign_id__in=campaigns),
            "decisions": ModerationDecision.objects.filter(submission_id__in=entries),
        }
    return rows


def _snapshot_sql(world: World, *, full: bool) -> tuple[str, list[Any]]:
    if full not in world.snapshot_sql:
        parts, params = [], []
        for name, rows in _brand_rows(world, full=full).items():
            sql, sql_params = rows.order_by().values_list().query.sql_with_params()
            latest = "max(t.updated_at)::text" if _has_fields(rows.model, "updated_at") else "''"
            # Django's own compiled SQL, its values passed as parameters.
            parts.append(
                f"SELECT %s, count(*), {latest}, md5(coalesce(string_agg(t::text, '|' "  # noqa: S608
                f"ORDER BY t.id), '')) FROM ({sql}) t"
            )
            params += [name, *sql_params]
        world.snapshot_sql[full] = (" UNION ALL ".join(parts), params)
    return world.snapshot_sql[full]


def snapshot(world: World, *, full: bool) -> dict[str, Any]:
    """Per table: row count, latest `updated_at`, and a digest of every column of every row.

    One query for all of brand A's tables, so each write attempt costs one more round trip.
    """
    sql, params = _snapshot_sql(world, full=full)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {name: tuple(rest) for name, *rest in cursor.fetchall()}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in after if before.get(name) != after[name]]


# --- Bindings: which of brand A's objects a URL names -------------------------------------------


@dataclass(frozen=True)
class Binding:
    values: tuple[tuple[str, Any], ...]
    public: bool
    label: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


def _candidates(world: World, route: Route, param: str) -> list[tuple[Any, bool, str]]:
    """(value, names a public object, label) for one parameter."""
    c = world.campaigns
    if param == "brand_slug":
        return [(world.brand.slug, True, "brand A")]
    if param == "slug":
        return [
            (campaign.slug, phase != "draft", f"{phase} campaign")
            for phase in c
            for campaign in c[phase]
        ]
    if param == "submission_id":
        shown = world.entries["approved"][: scale(1, len(world.entries["approved"]))]
        approved = [(e.pk, True, "approved entry") for e in shown]
        private = [(e.pk, False, f"{e.state} entry") for e in world.entries["private"]]
        return approved + private
    if param == "comment_id":
        return [
            (world.comments["visible"].pk, True, "visible comment"),
            (world.comments["hidden"].pk, False, "hidden comment"),
            (world.comments["on_pending"].pk, False, "comment on a pending entry"),
        ]
    if param == "user_id":
        return [(world.manager.pk, True, "brand A's manager")]
    if param == "invitation_id":
        return [(world.invitation.pk, True, "brand A's invitation")]
    if param == "participant_id":
        return [(world.entrant.pk, True, "a participant of brand A's campaigns")]
    if param == "code":
        return [
            (world.links["public"].code, True, "link to an approved entry"),
            (world.links["private"].code, False, "link to a pending entry"),
        ]
    if param == "token":
        return [
            (world.invitation.token, True, "brand A's invitation link"),
            ("tnx-guessed-token", False, "a guessed invitation link"),
        ]
    if param == "path":
        campaign = c["open"][0]
        return [(f"submissions/{campaign.pk}/{world.pending_file}.jpg", False, "pending photo")]
    if param == "object_id":
        label = route.name.split(":")[-1].rsplit("_", 1)[0].replace("_", ".", 1)
        obj = world.admin_objects.get(label) or world.admin_objects["campaigns.campaign"]
        return [(obj.pk, False, f"admin {label}")]
    if param == "content_type_id":
        return [(ContentType.objects.get_for_model(Campaign).pk, False, "campaign type")]
    if param == "id":
        return [(world.users["owner"].pk, False, "brand A's owner")]
    if param == "key":
        return [("tnx-key", True, "a made-up key")]
    if param == "uidb36":
        return [("1", True, "a user")]
    if param == "app_label":
        return [("campaigns", True, "campaigns")]
    if param == "url":
        return [("tnx/", True, "nothing")]
    raise AssertionError(f"{route.key}: parameter {param!r} is not classified")


def bindings(world: World, route: Route) -> list[Binding]:
    if not route.params:
        return [Binding((), True, "-")]
    options = [_candidates(world, route, p) for p in route.params]
    result = []
    for combo in itertools.product(*options):
        result.append(
            Binding(
                tuple(zip(route.params, (v for v, _, _ in combo), strict=True)),
                all(public for _, public, _ in combo),
                ", ".join(label for _, _, label in combo),
            )
        )
    return result


# --- Requests ----------------------------------------------------------------------------------


def _page_post(world: World) -> dict[str, Any]:
    """One form body that every page's form would accept (each ignores what it does not use)."""
    year = timezone.now().year + 1
    data: dict[str, Any] = {
        "title": "Made by the matrix",
        "brief": "A brief",
        "starts_at": f"{year}-06-01T09:00",
        "ends_at": f"{year}-06-30T18:00",
        "kinds": ["photo", "text"],
        "text_max_length": "280",
        "max_entries_per_participant": "3",
        "moderation_mode": "pre",
        "terms": "Terms",
        "action": "draft",
        "prizes-TOTAL_FORMS": "0",
        "prizes-INITIAL_FORMS": "0",
        "prizes-MIN_NUM_FORMS": "0",
        "prizes-MAX_NUM_FORMS": "20",
        "confirm": "on",
        "role": "owner",
        "email": "tnx-newcomer@example.com",
        "body": "A comment from the matrix",
        "reason": "spam",
        "kind": "text",
        "text": "An entry from the matrix",
        "accept_terms": "on",
        "terms_version": "1",
    }
    return data


def _api_body(world: World, route: Route, method: str) -> dict[str, Any]:
    now = timezone.now()
    bodies = {
        ("api-campaigns", "POST"): {
            "brand": world.brand.slug,
            "title": "Made through the API",
            "slug": "tnx-made-through-the-api",
            "starts_at": (now + DAY).isoformat(),
            "ends_at": (now + 5 * DAY).isoformat(),
        },
        ("api-campaign", "PATCH"): {"title": "Renamed by the matrix"},
        ("api-campaign-submissions", "POST"): {"kind": "text", "text": "An API entry"},
        ("api-submission-comments", "POST"): {"body": "Nice"},
        ("api-submission-reports", "POST"): {"reason": "spam"},
        ("api-comment", "PATCH"): {"body": "Edited"},
        ("api-comment-reports", "POST"): {"reason": "spam"},
    }
    return bodies.get((route.name, method), {})


@dataclass
class Answer:
    status: int
    body: str
    location: str
    changed: list[str]


@dataclass
class Stats:
    routes: set[str] = field(default_factory=set)
    operations: set[tuple[str, str]] = field(default_factory=set)
    requests: int = 0
    writes_checked: int = 0
    by_kind: Counter = field(default_factory=Counter)
    leaks: int = 0
    seconds: float = 0.0


STATS = Stats()


def send(
    world: World,
    actor: str,
    route: Route,
    method: str,
    url: str,
    *,
    full_snapshot: bool = True,
) -> Answer:
    """One request as `actor`, in a savepoint rolled back after it: nothing it writes stays."""
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    if actor != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[actor]
    kwargs: dict[str, Any] = {}
    if method in WRITES:
        if route.api:
            kwargs = {
                "data": json.dumps(_api_body(world, route, method)),
                "content_type": "application/json",
            }
        else:
            kwargs = {"data": _page_post(world)} if method == "POST" else {}
    STATS.requests += 1
    STATS.by_kind[str(route.kind(method))] += 1
    with transaction.atomic():
        response = getattr(client, method.lower())(url, **kwargs)
        changed: list[str] = []
        if method in WRITES and response.status_code < 500:
            STATS.writes_checked += 1
            changed = _changed(world.baseline, snapshot(world, full=full_snapshot))
        transaction.set_rollback(True)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return Answer(
        response.status_code,
        body.decode("utf-8", "replace"),
        unquote(response.get("Location", "")),
        changed,
    )


def supported_methods(route: Route) -> list[str]:
    """The methods a route takes: the schema's for the API, else what its view declares.

    A function view declares them with `require_http_methods` (and its `require_safe`,
    `require_POST` shorthands): the list is read from the decorator's closure. The matrix
    then checks that the owner never gets a 405 for a method found here.
    """
    if route.admin:
        return ["GET", "POST"]
    if route.api:
        # DRF answers HEAD wherever it answers GET.
        methods = API_METHODS.get(schema_path(route), set())
        methods |= {"HEAD"} if "GET" in methods else set()
    else:
        methods = _declared_methods(route.callback)
    return [m for m in METHODS if m in methods]


def _declared_methods(callback: Any) -> set[str]:
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        # Django's View answers HEAD wherever it answers GET.
        methods = {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
        return methods | ({"HEAD"} if "GET" in methods else set())
    function = callback
    while function is not None:
        code = getattr(function, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = function.__closure__[code.co_freevars.index("request_method_list")]
            return {m.upper() for m in cell.cell_contents}
        function = getattr(function, "__wrapped__", None)
    return set(METHODS)


def _api_operations() -> dict[str, set[str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        path: {m.upper() for m in operations if m.upper() in METHODS}
        for path, operations in schema["paths"].items()
    }


API_METHODS: dict[str, set[str]] = {}


# --- The expectations ----------------------------------------------------------------------------


def _login_redirect(answer: Answer, *, admin: bool = False) -> bool:
    login = ADMIN_LOGIN_URL if admin else LOGIN_URL
    return answer.status == 302 and answer.location.startswith(login + "?next=")


def check(
    world: World,
    route: Route,
    method: str,
    binding: Binding,
    answers: dict[str, Answer],
    *,
    mixed: Answer | None = None,
) -> list[str]:
    """Everything wrong with one (route, method, binding) across the actors."""
    kind = route.kind(method)
    problems: list[str] = []
    where = f"{method} {route.key} [{binding.label}]"

    def fail(actor: str, text: str) -> None:
        problems.append(f"{where} as {actor}: {text} (got {answers[actor].status})")

    for actor, answer in answers.items():
        if answer.status >= 500:
            fail(actor, "server error")
        # The leak check: nobody outside brand A sees its secrets, or its public data off the
        # public routes.
        if actor in OUTSIDERS:
            found = world.markers.found(answer.body + "\n" + answer.location)
            allowed = (
                set(world.markers.public)
                if binding.public and route.name in SHOWS_PUBLIC_DATA
                else set()
            )
            if kind == CAPABILITY and route.name == "brand-invitation-accept" and binding.public:
                allowed |= _invitation_shows(world)
            leaked = {m: what for m, what in found.items() if m not in allowed}
            if leaked:
                STATS.leaks += len(leaked)
                fail(actor, f"leaks brand A's {sorted(leaked.values())}")
        # On a public object, a participant's own engagement (an entry, a like, a comment) is
        # theirs to add: only what brand A manages is compared there (`full_snapshot`).
        allowed_write = actor == "analyst" and route.name in ANALYST_MAY_WRITE
        if method in WRITES and answer.changed and actor != "owner" and not allowed_write:
            fail(actor, f"changed brand A's {answer.changed}")

    owner, analyst = answers["owner"], answers["analyst"]
    other, participant, anonymous = (answers[a] for a in OUTSIDERS)

    # Brand B's owner is nobody special to brand A: exactly what a participant gets.
    if kind != STAFF and other.status != participant.status:
        fail("other_owner", f"differs from a participant ({participant.status})")

    if kind == STAFF:
        for actor, answer in answers.items():
            if not _login_redirect(answer, admin=True):
                fail(actor, "the admin must send a non-staff person to its login")
    elif kind == BRAND:
        if method in ("GET", "HEAD") and owner.status not in (200, 302):
            fail("owner", "the owner must reach their brand's page")
        if method in ("GET", "HEAD"):
            ok = analyst.status in (200, 302) or (
                analyst.status == 403
                and route.name in ANALYST_FORBIDDEN_FORMS
                and (method == "HEAD" or ANALYST_MESSAGE in analyst.body)
            )
            if not ok:
                fail("analyst", "an analyst reads every brand page")
        elif route.name not in ANALYST_MAY_WRITE and not (
            analyst.status == 403 and (method == "HEAD" or ANALYST_MESSAGE in analyst.body)
        ):
            fail("analyst", "an analyst's write is a 403 with the role's message")
        for actor in ("other_owner", "participant"):
            if answers[actor].status != 404:
                fail(actor, "another brand's object is a 404")
        if mixed is not None and mixed.status != 404:
            problems.append(
                f"{where} as other_owner under brand B's URL: got {mixed.status}, not 404"
            )
        if route.api:
            if anonymous.status != 401:
                fail("anonymous", "the API answers 401 without credentials")
        elif not _login_redirect(anonymous):
            fail("anonymous", "a brand page sends an anonymous visitor to the login")
    elif kind in (PUBLIC, ENGAGE):
        if not binding.public:
            for actor in ("other_owner", "participant"):
                if answers[actor].status != 404:
                    fail(actor, "what the public does not see is a 404")
            if not (anonymous.status in (401, 404) or _login_redirect(anonymous)):
                fail("anonymous", "a 404, a 401 or the login")
        elif kind == PUBLIC:
            for actor, answer in answers.items():
                if answer.status != 200:
                    fail(actor, "a public object is public")
        else:
            if analyst.status != owner.status:
                fail("analyst", f"differs from the brand's owner ({owner.status})")
            if not (anonymous.status == 401 or _login_redirect(anonymous)):
                fail("anonymous", "acting needs an account: 401 or the login")
    return problems


def _invitation_shows(world: World) -> set[str]:
    """The invitation page is for whoever holds its link: the brand, the inviter, the address."""
    wanted = {"brandname", "ownername", "inviteeemail"}
    return {m for m, what in world.markers.secret.items() if what in wanted} | {
        m for m, what in world.markers.public.items() if what in wanted
    }


# --- Tests -------------------------------------------------------------------------------------


def test_every_route_is_classified() -> None:
    """A new route fails here until someone says what kind it is (and it joins the matrix)."""
    unknown_params = {
        (r.key, p) for r in ALL_ROUTES for p in r.params if p not in BRAND_PARAMS | OTHER_PARAMS
    }
    assert not unknown_params, f"classify these parameters: {sorted(unknown_params)}"

    unclassified = [r.key for r in MATRIX_ROUTES if r.kind("GET") is None]
    assert not unclassified, f"classify these routes in KINDS: {unclassified}"
    assert not [r.key for r in MATRIX_ROUTES if r.allauth and r.brand_scoped]
    stale = set(KINDS) - {r.name for r in ALL_ROUTES}
    assert not stale, f"KINDS names routes that no longer exist: {stale}"
    assert set(SHOWS_PUBLIC_DATA) <= set(KINDS)
    brand_scoped = [r for r in MATRIX_ROUTES if r.brand_scoped]
    assert len(brand_scoped) >= 40


def test_every_api_operation_is_in_the_matrix() -> None:
    """The schema's operations and the URL configuration's API routes are the same set."""
    operations = _api_operations()
    api_routes = {schema_path(r): r for r in MATRIX_ROUTES if r.route.startswith("api/v1/")}

    assert set(operations) == set(api_routes)
    for path, methods in operations.items():
        route = api_routes[path]
        for method in methods:
            assert route.kind(method) is not None, f"classify {method} {path} in KINDS"
        per_method = KINDS[route.name]
        if isinstance(per_method, dict):
            assert set(per_method) == methods, f"{path}: KINDS and the schema disagree"


def _matrix_cases() -> list[Any]:
    return [pytest.param(route, id=route.key) for route in MATRIX_ROUTES]


@pytest.mark.parametrize("route", _matrix_cases())
def test_tenancy(world: World, route: Route) -> None:
    started = time.perf_counter()
    if route.api and not API_METHODS:
        API_METHODS.update(_api_operations())
    problems: list[str] = []
    cases = bindings(world, route)
    methods = supported_methods(route)
    if not route.params and not route.admin:
        # No object of a brand in the URL: what each actor reads of it is searched for leaks.
        methods = [m for m in methods if m == "GET"]
    for binding in cases:
        url = route_url(route, binding.as_dict())
        got: dict[str, dict[str, Answer]] = {}
        for method in methods:
            kind = route.kind(method)
            full = not (kind == ENGAGE and binding.public)
            answers = {
                actor: send(world, actor, route, method, url, full_snapshot=full)
                for actor in ACTORS
            }
            mixed = None
            if kind == BRAND and "brand_slug" in route.params and len(route.params) > 1:
                # Brand B's owner names their own brand with brand A's object.
                other_url = route_url(
                    route, binding.as_dict() | {"brand_slug": world.other_brand.slug}
                )
                mixed = send(world, "other_owner", route, method, other_url)
                problems += (
                    [f"{method} {route.key} under brand B: changed {mixed.changed}"]
                    if mixed.changed
                    else []
                )
            problems += check(world, route, method, binding, answers, mixed=mixed)
            if answers["owner"].status == 405:
                problems.append(f"{method} {route.key}: declared, but the owner gets a 405")
            for actor, answer in answers.items():
                if method == "HEAD" and answer.status != got["GET"][actor].status:
                    problems.append(
                        f"HEAD {route.key} [{binding.label}] as {actor}: {answer.status}, "
                        f"GET {got['GET'][actor].status}"
                    )
            got[method] = answers
            STATS.operations.add((route.key, method))
    STATS.routes.add(route.key)
    STATS.seconds += time.perf_counter() - started
    assert not problems, "\n".join(problems)


def test_the_markers_are_there_for_the_brand(world: World) -> None:
    """The leak check can fail: brand A's own people see the very markers outsiders must not."""
    draft = world.campaigns["draft"][0]
    manage = route_url(
        next(r for r in MATRIX_ROUTES if r.name == "brand-campaign-manage"),
        {"brand_slug": world.brand.slug, "slug": draft.slug},
    )
    team = route_url(
        next(r for r in MATRIX_ROUTES if r.name == "brand-team"), {"brand_slug": world.brand.slug}
    )
    route = next(r for r in MATRIX_ROUTES if r.name == "brand-team")

    seen = world.markers.found(send(world, "owner", route, "GET", manage).body)
    seen |= world.markers.found(send(world, "owner", route, "GET", team).body)

    assert {"draft0title", "draft0brief", "analystemail", "inviteeemail"} <= set(seen.values())


def test_public_pages_carry_the_public_markers(world: World) -> None:
    """The allowance is needed: a participant does see an open campaign and its approved entry."""
    route = next(r for r in MATRIX_ROUTES if r.name == "campaign-detail")
    url = route_url(route, {"slug": world.campaigns["open"][0].slug})

    answer = send(world, "participant", route, "GET", url)

    seen = set(world.markers.found(answer.body).values())
    assert answer.status == 200
    assert {"open0title", "open0brief", "approved0text", "brandname"} <= seen
    assert not seen & set(world.markers.secret.values())


def test_record_the_matrix(world: World, resilience_report) -> None:
    assert STATS.routes, "run with the matrix tests"
    brand_scoped = sum(1 for r in MATRIX_ROUTES if r.brand_scoped and r.key in STATS.routes)
    resilience_report(
        scenario="Tenancy matrix (URL configuration + OpenAPI schema)",
        load=(
            f"{len(STATS.routes)} routes ({brand_scoped} brand-scoped), "
            f"{len(STATS.operations)} route x method, {len(ACTORS)} actors, "
            f"{STATS.requests} requests"
        ),
        faults="another brand's owner, an analyst, a participant, anonymous; "
        f"{len(world.markers.public) + len(world.markers.secret)} markers in brand A's data",
        result="404 for others' objects, analysts change nothing, no leak",
        lost=0,
        profile=PROFILE,
        routes=len(STATS.routes),
        brand_scoped_routes=brand_scoped,
        operations=len(STATS.operations),
        actors=len(ACTORS),
        requests=STATS.requests,
        writes_compared=STATS.writes_checked,
        leaks=STATS.leaks,
        seconds=round(STATS.seconds, 1),
        requests_by_kind=dict(sorted(STATS.by_kind.items())),
    )
