"""Every state-changing request without a CSRF token is refused, on every route.

The routes come from the URL configuration (`routes.all_routes()`, a recursive walk of
`get_resolver()`), so a route added tomorrow is covered without anyone listing it; a route the
walker cannot make concrete, and is not exempted below with a reason, fails the run.

For each route, each of POST, PUT, PATCH and DELETE is sent by a signed-in participant and by a
brand owner through `Client(enforce_csrf_checks=True)`, carrying the session and the CSRF cookie
(as a browser tricked by another site would) but no token. Each must be a 403 naming CSRF, and
no row of any table may change (count and hash of every row of every model's table, compared
after each route's four requests).
"""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import reverse

from submissions.models import Comment
from tests.resilience.routes import (
    Route,
    Uncovered,
    all_routes,
    build_world,
    changed_tables,
    route_url,
    table_checksums,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

STATE_CHANGING = ("post", "put", "patch", "delete")
ACTORS = ("participant", "brand owner")

# Routes that may answer a request without a CSRF token with something other than a 403, and
# why. Nothing listed here may change a row either; a stale entry fails the run.
EXEMPT: dict[str, str] = {
    "api/v1/auth/token/": (
        "Exchanges an email and a password for a token. It reads no session or cookie "
        "(authentication_classes is empty), so a forged cross-site request carries nothing the "
        "attacker does not already hold; failed attempts are limited by the login lockout."
    ),
}

# Routes whose 403 does not say why: the Swagger UI page renders DRF's CSRF refusal through its
# HTML template as a bare "403 Forbidden". Still a 403, still no row changed.
SILENT_REFUSAL: dict[str, str] = {
    "api/docs/": "DRF's TemplateHTMLRenderer shows the CSRF refusal as a bare 403 page",
}

# A forged request looks like a real one: if the token check were missing, these fields would
# be enough for most forms and endpoints to change something (see the control test below).
FORGED_FORM = {
    "body": "Forged",
    "reason": "spam",
    "title": "Forged",
    "display_name": "Forged",
    "language": "it",
    "email": "forged@example.com",
    "role": "owner",
    "kind": "text",
    "text": "Forged",
    "action": "delete_selected",
    "post": "yes",
}


def _forger(world, actor: str) -> Client:
    client = world.client(actor, enforce_csrf_checks=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
    return client


def _send(client: Client, method: str, url: str):
    if method == "post":
        return client.post(url, FORGED_FORM)
    return getattr(client, method)(url, json.dumps(FORGED_FORM), content_type="application/json")


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    return build_world(django_capture_on_commit_callbacks)


def _concrete(routes: list[Route], world) -> tuple[list[tuple[Route, str]], list[str]]:
    made, uncovered = [], []
    for route in routes:
        try:
            made.append((route, route_url(route, world)))
        except Uncovered as exc:
            if route.key not in EXEMPT:
                uncovered.append(str(exc))
    return made, uncovered


def test_every_route_is_covered_or_exempted(world) -> None:
    routes = all_routes()
    keys = {route.key for route in routes}

    made, uncovered = _concrete(routes, world)

    assert uncovered == [], "\n".join(uncovered)
    assert sorted((set(EXEMPT) | set(SILENT_REFUSAL)) - keys) == [], "stale exemptions"
    assert len(made) == len(routes)


@pytest.mark.parametrize("actor", ACTORS)
def test_state_changing_requests_without_a_csrf_token_are_refused(
    world, actor: str, resilience_report
) -> None:
    made, uncovered = _concrete(all_routes(), world)
    assert uncovered == []
    client = _forger(world, actor)
    baseline = table_checksums()
    failures: list[str] = []
    started = time.monotonic()
    sent = 0

    for route, url in made:
        for method in STATE_CHANGING:
            response = _send(client, method, url)
            sent += 1
            where = f"{method.upper()} {url} ({route.key})"
            if response.status_code >= 500:
                failures.append(f"{where}: {response.status_code}")
            elif route.key in EXEMPT:
                continue
            elif response.status_code != 403 or (
                b"CSRF" not in response.content and route.key not in SILENT_REFUSAL
            ):
                failures.append(f"{where}: {response.status_code}, not a CSRF refusal")
        after = table_checksums()  # once per route: its four requests together
        if after != baseline:
            failures.append(f"{url} ({route.key}): changed {changed_tables(baseline, after)}")
            baseline = after

    assert failures == [], "\n".join(failures)
    resilience_report(
        scenario=f"CSRF: every state-changing route, as {actor}",
        load=f"{len(made)} routes x {len(STATE_CHANGING)} methods = {sent} requests",
        faults="session cookie and CSRF cookie, no token",
        result=f"403 on all but {len(EXEMPT)} exempted route(s); 0 rows changed; 0 5xx",
        lost=0,
        routes=len(made),
        requests=sent,
        seconds=round(time.monotonic() - started, 1),
    )


def test_the_same_request_with_the_token_goes_through(world) -> None:
    """The control: the refusals above are the missing token, and the checksum sees changes."""
    client = _forger(world, "participant")
    url = reverse("comment-create", args=[world.entry.pk])
    comments = Comment.objects.count()
    baseline = table_checksums()

    refused = client.post(url, {"body": "Forged"})
    assert refused.status_code == 403
    assert table_checksums() == baseline

    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    allowed = client.post(url, {"body": "Meant"}, HTTP_X_CSRFTOKEN=token)

    assert allowed.status_code in (200, 302)
    assert Comment.objects.count() == comments + 1
    assert "submissions_comment" in changed_tables(baseline, table_checksums())
