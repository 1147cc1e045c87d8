"""GET and HEAD change nothing, on every route, whoever asks.

The routes come from the URL configuration (`routes.all_routes()`), made concrete from a world
with engagement of every kind (likes and their points, standings, notifications, a report, a
moderation decision, a share link with a derived click, frozen standings and winners, pending
invitations, an unverified address with a real confirmation key). Each route is requested with
GET and with HEAD as an anonymous visitor, a participant, a brand owner and a staff member; no
row of any table may change (count and hash of every row of every model's table), and nobody
signed in is signed out.

Not compared:
- `django_session`: reading a page may store in the session what the page needs next (a
  password-reset key moved out of the URL, flash messages consumed); it holds no engagement.

The one designed exception is the share redirect `/s/<code>`: its GET records one raw hit
(`ShareHit`, the outbox of click counting) and nothing else. A HEAD may leave a raw hit too, but
the derivation must count no click from it: after `clicks_derive` runs, no `ShareClick`, ledger
line or standing has changed.
"""

from __future__ import annotations

import time

import pytest

from sharing.clicks import clicks_derive
from sharing.models import Notification, ShareHit
from tests.resilience.routes import (
    Uncovered,
    all_routes,
    build_world,
    changed_tables,
    route_url,
    table_checksums,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ACTORS = ("anonymous", "participant", "brand owner", "staff")
SAFE = ("get", "head")
NOT_COMPARED = frozenset({"django_session"})
SHARE_REDIRECT = "share-redirect"
RAW_HITS = ShareHit._meta.db_table
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    return build_world(django_capture_on_commit_callbacks)


def _checksums(*, share_hits: bool = True) -> dict[str, str]:
    return table_checksums(exclude=NOT_COMPARED if share_hits else NOT_COMPARED | {RAW_HITS})


def _share_redirect(client, method: str, url: str, failures: list[str], capture) -> None:
    """The designed exception: a GET adds one raw hit; a HEAD never becomes a counted click."""
    with capture(execute=True):
        clicks_derive()  # earlier hits out of the way, so only this request's is derived below
    before, hits = _checksums(share_hits=False), ShareHit.objects.count()
    response = getattr(client, method)(url)
    if response.status_code >= 500:
        failures.append(f"{method.upper()} {url}: {response.status_code}")
    if method == "get" and ShareHit.objects.count() != hits + 1:
        failures.append(f"GET {url}: {ShareHit.objects.count() - hits} raw hits, not 1")
    if changed := changed_tables(before, _checksums(share_hits=False)):
        failures.append(f"{method.upper()} {url}: the request itself changed {changed}")
    if method == "head":
        with capture(execute=True):
            clicks_derive()
        if changed := changed_tables(before, _checksums(share_hits=False)):
            failures.append(f"HEAD {url}: counted as a click, changed {changed}")


@pytest.mark.parametrize("actor", ACTORS)
def test_get_and_head_change_no_row_on_any_route(
    world, actor: str, django_capture_on_commit_callbacks, resilience_report
) -> None:
    routes = all_routes()
    made, uncovered = [], []
    for route in routes:
        try:
            made.append((route, route_url(route, world)))
        except Uncovered as exc:
            uncovered.append(str(exc))
    assert uncovered == [], "\n".join(uncovered)
    client = world.client(actor, HTTP_USER_AGENT=USER_AGENT)
    failures: list[str] = []
    baseline = _checksums()
    started = time.monotonic()
    sent = 0

    for route, url in made:
        if route.name == SHARE_REDIRECT:
            for method in SAFE:
                _share_redirect(client, method, url, failures, django_capture_on_commit_callbacks)
                sent += 1
            baseline = _checksums()
            continue
        for method in SAFE:
            response = getattr(client, method)(url)
            sent += 1
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {url} ({route.key}): {response.status_code}")
            if actor != "anonymous" and not client.session.get("_auth_user_id"):
                # Signing out is a change too (and would leave later routes to an anonymous).
                failures.append(f"{method.upper()} {url} ({route.key}): signed the {actor} out")
                client = world.client(actor, HTTP_USER_AGENT=USER_AGENT)
                baseline = _checksums()  # signing in again stamps last_login
        after = _checksums()  # once per route: its GET and HEAD together
        if after != baseline:
            failures.append(f"{url} ({route.key}): changed {changed_tables(baseline, after)}")
            baseline = after

    assert failures == [], "\n".join(failures)
    resilience_report(
        scenario=f"GET and HEAD change nothing, as {actor}",
        load=f"{len(made)} routes x GET, HEAD = {sent} requests",
        faults="safe methods on every route",
        result="0 rows changed (the share redirect's raw hit aside; HEAD never counted); 0 5xx",
        lost=0,
        routes=len(made),
        requests=sent,
        seconds=round(time.monotonic() - started, 1),
    )


def test_notifications_are_marked_read_by_post_not_by_reading_the_page(world) -> None:
    unread = Notification.objects.filter(user=world.author, read_at__isnull=True)
    count = unread.count()
    client = world.client("anonymous")
    client.force_login(world.author)  # their entry was liked: they have news
    assert count > 0

    for method in SAFE:
        assert getattr(client, method)("/me/notifications/").status_code == 200
    assert unread.count() == count

    assert client.post("/me/notifications/").status_code == 302
    assert unread.count() == 0
