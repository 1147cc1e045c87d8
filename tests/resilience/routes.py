"""Every route of the URL configuration, made concrete from real objects, for the route-wide
CSRF and GET/HEAD tests.

`all_routes()` walks `django.urls.get_resolver()` recursively, so a new route is picked up by
those tests without anyone listing it; `route_url(route, world)` fills its parameters from a
`World` built with the factories and the real services (likes with their points, standings and
notifications, a report, a moderation decision, a share link with a derived hit, a closed
campaign with its frozen standings and winners). A route whose parameters cannot be filled
raises `Uncovered`, which the tests turn into a failure naming it.

`table_checksums()` is one PostgreSQL query returning, per model table, its row count and the
sum of a hash of each whole row, so "no row changed" covers inserts, updates and deletes alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Brand, BrandMembership, User
from campaigns.models import Campaign
from submissions.models import Comment, Submission
from tests.factories import (
    CampaignFactory,
    CampaignTermsFactory,
    CommentFactory,
    InvitationFactory,
    MembershipFactory,
    StaffFactory,
    SubmissionFactory,
    UserFactory,
)

Role = BrandMembership.Role


@dataclass(frozen=True)
class Route:
    """One URL pattern: its full pattern text (the key) and its view."""

    pattern: str
    name: str | None
    callback: Any
    is_regex: bool

    @property
    def key(self) -> str:
        return self.pattern


class Uncovered(Exception):
    """A route whose parameters this module does not know how to fill."""


def _walk(resolver: URLResolver, prefix: str, regex: bool) -> list[Route]:
    routes: list[Route] = []
    for entry in resolver.url_patterns:
        text = str(entry.pattern)
        is_regex = regex or isinstance(entry.pattern, RegexPattern)
        if isinstance(entry, URLResolver):
            routes += _walk(entry, prefix + text, is_regex)
        elif isinstance(entry, URLPattern):
            routes.append(Route(prefix + text, entry.name, entry.callback, is_regex))
    return routes


def all_routes() -> list[Route]:
    return _walk(get_resolver(), "", False)


# --- The world ------------------------------------------------------------------------------


@dataclass
class World:
    owner: User
    manager: User
    participant: User
    author: User
    staff: User
    unverified: User
    brand: Brand
    campaign: Campaign
    closed: Campaign
    entry: Submission
    own_entry: Submission
    comment: Comment
    invitation: Any
    invitation_for_participant: Any
    share_code: str

    def client(self, actor: str, **kwargs: Any) -> Client:
        client = Client(**kwargs)
        user = {
            "anonymous": None,
            "participant": self.participant,
            "brand owner": self.owner,
            "staff": self.staff,
        }[actor]
        if user is not None:
            client.force_login(user)
        return client


def build_world(django_capture_on_commit_callbacks) -> World:
    """Brand Acme with an open and a closed campaign, entries, engagement of every kind."""
    from campaigns.winners import campaign_winners_choose
    from sharing.clicks import clicks_derive
    from sharing.links import share_link_get_or_create
    from sharing.points import submission_points_sync
    from submissions.likes import like_create
    from submissions.services import report_create, submission_moderate

    now = timezone.now()
    owner = UserFactory(email="owner@acme.example")
    brand = MembershipFactory(user=owner, role=Role.OWNER, brand__slug="acme").brand
    manager = MembershipFactory(brand=brand, role=Role.MANAGER).user
    MembershipFactory(brand=brand, role=Role.ANALYST)
    participant = UserFactory(email="participant@example.com")
    author = UserFactory(email="author@example.com")
    staff = StaffFactory(email="staff@example.com", is_superuser=True)
    unverified = UserFactory(email="unverified@example.com", verified=False)
    EmailAddress.objects.create(user=unverified, email=unverified.email, primary=True)
    Token.objects.create(user=participant)

    campaign = CampaignFactory(brand=brand, slug="summer")
    CampaignTermsFactory(campaign=campaign)
    entry = SubmissionFactory(campaign=campaign, author=author)
    own_entry = SubmissionFactory(campaign=campaign, author=participant)
    pending = SubmissionFactory(campaign=campaign, state=Submission.State.PENDING)
    comment = CommentFactory(submission=entry, author=participant)
    CommentFactory(submission=own_entry, author=author)

    with django_capture_on_commit_callbacks(execute=True):
        like_create(user=participant, submission=entry)
        like_create(user=author, submission=own_entry)
        report_create(reporter=participant, reason="spam", submission=entry)
        submission_moderate(submission=pending, moderator=staff, action="approve")
    link = share_link_get_or_create(submission=own_entry, owner=participant)
    Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0").get(f"/s/{link.code}")
    with django_capture_on_commit_callbacks(execute=True):
        clicks_derive()

    closed = CampaignFactory(
        brand=brand,
        slug="spring",
        starts_at=now - timedelta(days=20),
        ends_at=now - timedelta(days=2),
    )
    with django_capture_on_commit_callbacks(execute=True):
        for author_of_entry in (author, participant):
            closed_entry = SubmissionFactory(campaign=closed, author=author_of_entry)
            submission_points_sync(submission_id=closed_entry.pk)
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=closed.pk)
        campaign_winners_choose(campaign=closed, now=now)

    invitation = InvitationFactory(brand=brand)
    invitation_for_participant = InvitationFactory(brand=brand, email=participant.email)
    return World(
        owner=owner,
        manager=manager,
        participant=participant,
        author=author,
        staff=staff,
        unverified=unverified,
        brand=brand,
        campaign=campaign,
        closed=closed,
        entry=entry,
        own_entry=own_entry,
        comment=comment,
        invitation=invitation,
        invitation_for_participant=invitation_for_participant,
        share_code=link.code,
    )


# --- Concrete URLs --------------------------------------------------------------------------

_ADMIN_MODEL = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/")


def _admin_object_id(route: Route) -> str:
    match = _ADMIN_MODEL.match(route.pattern)
    if not match:
        raise Uncovered(route.pattern)
    model = apps.get_model(match["app"], match["model"])
    instance = model._default_manager.order_by("pk").first()
    # A model with no row yet (a failure log, say) gets an id that does not exist: the admin
    # answers it with a redirect and a message, which still exercises the route.
    return str(instance.pk) if instance is not None else "999999"


def _values(route: Route, world: World) -> dict[str, str]:
    confirmation = EmailConfirmationHMAC(EmailAddress.objects.get(user=world.unverified))
    campaign_type = ContentType.objects.get_for_model(Campaign)
    return {
        "brand_slug": world.brand.slug,
        "slug": world.campaign.slug,
        "user_id": str(world.manager.pk),
        "invitation_id": str(world.invitation.pk),
        "token": world.invitation_for_participant.token,
        "participant_id": str(world.participant.pk),
        "submission_id": str(world.entry.pk),
        "comment_id": str(world.comment.pk),
        "code": world.share_code,
        "path": "covers/none.jpg",
        "key": confirmation.key,
        "uidb36": user_pk_to_url_str(world.participant),
        "app_label": "campaigns",
        "url": "no-such-page/",
        "content_type_id": str(campaign_type.pk),
        "id": str(world.participant.pk),
        "object_id": (
            ""
            if "object_id" not in route.pattern
            else str(world.campaign.pk)
            if route.pattern.startswith("admin/r/")
            else _admin_object_id(route)
        ),
    }


def _password_reset_key(world: World) -> str:
    return default_token_generator.make_token(world.participant)


_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)")
_CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def route_url(route: Route, world: World) -> str:
    """A concrete URL for the route, made from the world's objects; checked to resolve back."""
    values = _values(route, world)
    if route.pattern.startswith("accounts/^password/reset/key/"):
        values["key"] = _password_reset_key(world)

    def fill(match: re.Match[str]) -> str:
        name = match["name"]
        if not values.get(name):
            raise Uncovered(f"{route.pattern}: no value for <{name}>")
        return values[name]

    path = route.pattern
    if route.is_regex:
        path = _GROUP.sub(fill, path).replace("^", "").replace("$", "")
        if re.search(r"[()\[\]*+?{}\\|]", path):
            raise Uncovered(f"{route.pattern}: a regular expression this module cannot fill")
    url = "/" + _CONVERTER.sub(fill, path)
    try:
        match = resolve(url)
    except Resolver404:
        raise Uncovered(f"{route.pattern}: {url} does not resolve") from None
    # A route overridden by an earlier one of the same name (a subclassed allauth view) is
    # reached through the override, which this request then exercises.
    if match.func is not route.callback and not (route.name and match.url_name == route.name):
        raise Uncovered(f"{route.pattern}: {url} resolves to {match.route}")
    return url


# --- Rows -----------------------------------------------------------------------------------


def table_checksums(*, exclude: frozenset[str] = frozenset()) -> dict[str, str]:
    """Row count and sum of row hashes of every model's table, in one query (PostgreSQL)."""
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
        - exclude
    )
    # Table names come from the models, quoted; nothing from a request reaches this query.
    one = "(SELECT count(*) || ':' || coalesce(sum(hashtext(t::text)::bigint), 0) FROM {} AS t)"
    selects = ", ".join(one.format(connection.ops.quote_name(table)) for table in tables)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + selects)
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(table for table in before if before[table] != after[table])
