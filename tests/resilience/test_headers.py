"""Security headers on every kind of response, a strict CSP that the product lives with, and
production settings that pass Django's deployment checks.

- Every page type (site pages, error pages, the admin, the API and its docs, media) carries the
  Content-Security-Policy without 'unsafe-inline'/'unsafe-eval', Permissions-Policy,
  nosniff, Referrer-Policy, COOP and X-Frame-Options; media keeps its stricter sandbox.
- Chromium visits the pages the browser journeys visit (and the admin and /api/docs/) under
  that policy: not one CSP violation is reported, and the scripts of each page still work.
- With production settings (gunicorn, DJANGO_DEBUG=false, HTTPS behind a proxy) HSTS and
  secure cookies are on, and `manage.py check --deploy --fail-level WARNING` passes.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from accounts.models import BrandMembership
from sharing.models import Standing
from submissions.models import Submission
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP
from tests.factories import (
    PASSWORD,
    BrandFactory,
    CampaignFactory,
    CampaignTermsFactory,
    CommentFactory,
    MembershipFactory,
    StaffFactory,
    SubmissionFactory,
    UserFactory,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

BASE_DIR = Path(__file__).resolve().parents[2]
PORT = 18101
PROD_HOST = "passaparola.example.org"
UNSAFE = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'")


def _boom(request: Any) -> Any:
    raise RuntimeError("a bug in a view")


# This module doubles as a URL configuration: the site plus one view that fails, for the 500 page.
urlpatterns = [path("boom/", _boom), path("", include("config.urls"))]


def directives(header: str) -> dict[str, list[str]]:
    """`default-src 'self'; img-src 'self' data:` -> {"default-src": ["'self'"], ...}."""
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0].lower()] = words[1:]
    return parsed


def assert_strict_csp(header: str | None, where: str) -> dict[str, list[str]]:
    """The site policy: nothing inline, nothing evaluated, no framing, no plugins."""
    assert header, f"{where}: no Content-Security-Policy"
    policy = directives(header)
    for name, sources in policy.items():
        assert not set(sources) & set(UNSAFE), f"{where}: {name} {' '.join(sources)}"
    assert policy["default-src"] == ["'self'"], where
    assert policy["script-src"] == ["'self'"], where
    assert policy["style-src"] == ["'self'"], where
    assert policy["object-src"] == ["'none'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["base-uri"] == ["'self'"], where
    assert policy["form-action"] == ["'self'"], where
    return policy


def assert_policy_headers(response: Any, where: str) -> None:
    headers = response.headers
    assert_strict_csp(headers.get("Content-Security-Policy"), where)
    permissions = headers.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions, f"{where}: {feature} not off in {permissions!r}"
    assert "web-share=(self)" in permissions, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", where
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", where
    assert headers.get("X-Frame-Options") == "DENY", where


# --- Data ---------------------------------------------------------------------------------------


def _world() -> dict[str, Any]:
    """A brand with an open campaign, entries (text, photo-less, video), a participant, staff."""
    brand = BrandFactory(name="Headers & Co", slug="headers-co")
    owner = UserFactory(email="owner@headers.example", display_name="Olga Owner")
    MembershipFactory(brand=brand, user=owner, role=BrandMembership.Role.OWNER)
    campaign = CampaignFactory(
        brand=brand,
        title="Header stories",
        slug="header-stories",
        rules="- One entry each\n- Be **kind**",
        rules_html="<ul><li>One entry each</li><li>Be <strong>kind</strong></li></ul>",
        allow_text=True,
        allow_video=True,
        starts_at=timezone.now() - timedelta(days=1),
    )
    CampaignTermsFactory(campaign=campaign)
    author = UserFactory(email="author@headers.example", display_name="Ada Author")
    entry = SubmissionFactory(campaign=campaign, author=author, caption="A calm morning")
    video = SubmissionFactory(
        campaign=campaign,
        kind=Submission.Kind.VIDEO,
        text="",
        caption="Waves",
        video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        video_provider="youtube",
        video_id="dQw4w9WgXcQ",
    )
    comment = CommentFactory(submission=entry, author=owner, body="Lovely light")
    Standing.objects.create(campaign=campaign, participant=author, points=12, reached_ms=1)
    staff = StaffFactory(email="staff@headers.example", is_superuser=True)
    return {
        "brand": brand,
        "owner": owner,
        "campaign": campaign,
        "author": author,
        "entry": entry,
        "video": video,
        "comment": comment,
        "staff": staff,
    }


def _pages(world: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(page type, URL, who looks at it): the page types of the product."""
    brand, campaign, entry = world["brand"], world["campaign"], world["entry"]
    manage = f"/brand/{brand.slug}/campaigns/{campaign.slug}/"
    return [
        ("home", "/", None),
        ("campaign page", f"/c/{campaign.slug}/", None),
        ("entry page", f"/entries/{entry.pk}/", None),
        ("video entry page", f"/entries/{world['video'].pk}/", None),
        ("entry page with share panel", f"/entries/{entry.pk}/", "author"),
        ("submit form", f"/c/{campaign.slug}/enter/", "author"),
        ("leaderboard", f"/c/{campaign.slug}/leaderboard/", None),
        ("points statement", f"/c/{campaign.slug}/points/", "author"),
        ("notifications", "/me/notifications/", "author"),
        ("sign-in page", "/accounts/login/", None),
        ("brand dashboard", "/brand/", "owner"),
        ("campaign editor", f"{manage}edit/", "owner"),
        ("new campaign form", f"/brand/{brand.slug}/campaigns/new/", "owner"),
        ("campaign management", manage, "owner"),
        ("analytics", f"{manage}analytics/", "owner"),
        ("team page", f"/brand/{brand.slug}/team/", "owner"),
        ("admin index", "/admin/", "staff"),
        ("admin changelist", "/admin/submissions/submission/", "staff"),
        ("admin change form", f"/admin/submissions/submission/{entry.pk}/change/", "staff"),
        ("admin campaign form", f"/admin/campaigns/campaign/{campaign.pk}/change/", "staff"),
        ("API docs", "/api/docs/", None),
    ]


# --- Every response type carries the headers ---------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_every_page_type_carries_the_policy_headers(resilience_report) -> None:
    world = _world()
    clients: dict[str | None, Client] = {None: Client()}
    for actor in ("author", "owner", "staff"):
        clients[actor] = Client()
        clients[actor].force_login(world[actor])
    checked = 0
    for page_type, url, actor in _pages(world):
        response = clients[actor].get(url)
        assert response.status_code == 200, f"{page_type} {url}: {response.status_code}"
        assert_policy_headers(response, page_type)
        checked += 1

    # The rest of what a browser or an integrator meets.
    others: list[tuple[str, Any]] = [
        ("API docs start-up script", clients[None].get("/api/docs/?script=")),
        ("API schema", clients[None].get("/api/schema/")),
        ("API list", clients[None].get("/api/v1/campaigns/")),
        ("API error 401", clients[None].post("/api/v1/campaigns/", {})),
        ("404 page", clients[None].get("/no-such-page/")),
        ("API 404", clients[None].get("/api/v1/campaigns/no-such-campaign/")),
        ("health check", clients[None].get("/healthz")),
    ]
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(world["author"])
    forbidden = csrf_client.post(f"/entries/{world['entry'].pk}/comments/", {"body": "hi"})
    others.append(("403 page (CSRF)", forbidden))
    crashing = Client(raise_request_exception=False)
    others.append(("500 page", crashing.get("/boom/")))
    expected = {"404 page": 404, "API 404": 404, "403 page (CSRF)": 403, "500 page": 500}
    for page_type, response in others:
        if page_type in expected:
            assert response.status_code == expected[page_type], page_type
        else:
            assert response.status_code < 500, f"{page_type}: {response.status_code}"
        assert_policy_headers(response, page_type)
        checked += 1
    script = clients[None].get("/api/docs/?script=")
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content

    # Media: its own policy, stricter than the site's, is kept.
    media = Path(settings.MEDIA_ROOT) / "entries" / "pixel.png"
    media.parent.mkdir(parents=True, exist_ok=True)
    media.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
        )
    )
    served = clients[None].get("/media/entries/pixel.png")
    assert served.status_code == 200
    media_policy = directives(served.headers["Content-Security-Policy"])
    assert "sandbox" in media_policy
    assert media_policy["default-src"] == ["'none'"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in served.headers["Permissions-Policy"]
    checked += 1

    resilience_report(
        scenario="security headers on every response type",
        load=f"{checked} response types (pages, admin, API, docs, 403/404/500, media)",
        faults="none",
        result="CSP without unsafe-inline, Permissions-Policy, nosniff, Referrer-Policy, "
        "COOP, X-Frame-Options on each",
        lost=0,
        responses_checked=checked,
    )


def test_a_route_can_relax_frame_ancestors_alone(rf) -> None:
    """The hook a future embeddable gallery uses: one directive changes, the rest stay strict."""
    from django.http import HttpResponse

    from core.security import SecurityHeadersMiddleware, csp_update

    @csp_update({"frame-ancestors": ["https:"]})
    def embeddable(request: Any) -> HttpResponse:
        return HttpResponse("gallery")

    relaxed = SecurityHeadersMiddleware(embeddable)(rf.get("/embed/"))
    policy = directives(relaxed.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["https:"]
    assert policy["script-src"] == ["'self'"]
    plain = SecurityHeadersMiddleware(lambda request: HttpResponse("page"))(rf.get("/"))
    assert directives(plain.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]


def test_the_policy_check_refuses_unsafe_inline(settings) -> None:
    from core.security import csp_check

    assert csp_check() == []
    relaxed = {**settings.PASSAPAROLA_CSP, "style-src": ["'self'", "'unsafe-inline'"]}
    settings.PASSAPAROLA_CSP = relaxed
    assert [message.id for message in csp_check()] == ["passaparola.E001"]


# --- Chromium lives with the policy -------------------------------------------------------------

# The header allows the Web Share API (the share panel's "Share…"); Chromium on desktop Linux has
# no such API and says it does not know the feature. Phones and other platforms do.
PLATFORM_WITHOUT_WEB_SHARE = "Unrecognized feature: 'web-share'."
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ` +
    `${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium for this module (see tests/browser/conftest.py for the async switch)."""
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture(autouse=True)
def _media_through_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """The live server hands /media/ to the project's view (with its headers), as in production."""
    from django.test import testcases

    monkeypatch.setattr(testcases._MediaFilesHandler, "_should_handle", lambda self, path: False)


def signed_in_cookie(user: Any, base_url: str) -> dict[str, str]:
    """A session cookie for `user`, so a tab starts signed in without the sign-in form."""
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": base_url}


def watch(page: Page, seen: list[str], executed: list[str] | None = None) -> None:
    """Collect CSP violations (event and console) and, optionally, payload executions."""
    page.expose_function("__cspViolation", lambda text: seen.append(f"{page.url}: {text}"))
    page.add_init_script(REPORT_VIOLATIONS)

    def on_console(message: Any) -> None:
        text = message.text
        if text.endswith(PLATFORM_WITHOUT_WEB_SHARE):
            return
        if "Content Security Policy" in text or "Permissions-Policy" in text:
            seen.append(f"{page.url}: console: {text}")

    page.on("console", on_console)
    # No request leaves the machine (the video players are not reachable here anyway).
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost)"), lambda route: route.abort())


# The pages the browser journeys visit, and the scripts they run. test_xss.py visits the other
# brand pages, notifications, statements and many more admin pages, and counts violations too.
IN_CHROMIUM = {
    "home",
    "campaign page",
    "entry page",
    "video entry page",
    "entry page with share panel",
    "submit form",
    "leaderboard",
    "sign-in page",
    "brand dashboard",
    "campaign editor",
    "new campaign form",
    "admin changelist",
    "admin change form",
    "API docs",
}


@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
def test_pages_work_in_chromium_without_a_csp_violation(
    browser: Browser, live_server: Any, resilience_report
) -> None:
    from playwright.sync_api import expect

    world = _world()
    violations: list[str] = []
    contexts: dict[str | None, Any] = {}
    visited = 0
    try:
        for page_type, url, actor in _pages(world):
            if page_type not in IN_CHROMIUM:
                continue
            if actor not in contexts:
                context = browser.new_context(
                    base_url=live_server.url, locale="en-US", viewport=DESKTOP
                )
                context.set_default_timeout(10_000)
                if actor:
                    context.add_cookies([signed_in_cookie(world[actor], live_server.url)])
                contexts[actor] = (context, context.new_page())
                watch(contexts[actor][1], violations)
            page = contexts[actor][1]
            response = page.goto(url)
            assert response is not None
            assert response.status == 200, f"{page_type} {url}: {response.status}"
            assert_strict_csp(response.headers.get("content-security-policy"), page_type)
            page.wait_for_load_state("load")
            # Each page's own script still runs under the policy.
            if page_type == "API docs":
                expect(page.locator(".swagger-ui .info .title")).to_contain_text("Passaparola API")
                expect(page.locator(".opblock").first).to_be_visible()
            elif page_type == "video entry page":
                play = page.locator(".video-facade__play")
                expect(play).to_be_visible()
                play.click()
                expect(page.locator("iframe.video-facade__frame")).to_have_attribute(
                    "src", re.compile(r"^https://www\.youtube-nocookie\.com/embed/")
                )
            elif page_type == "entry page with share panel":
                expect(page.locator(".share-panel")).to_be_visible()
                expect(page.locator(".share-qr svg")).to_be_visible()
            elif page_type == "new campaign form":
                page.get_by_label("Title").fill("Header stories again")
                expect(page.get_by_label("Address")).to_have_value("header-stories-again")
            elif page_type == "admin change form":
                expect(page.locator("#submission_form")).to_be_visible()
            visited += 1
        # The language switcher submits a form to our own origin (form-action 'self').
        page = contexts[None][1]
        page.goto("/")
        page.locator("#language-select").select_option("it")
        page.locator(".language-form button[type=submit]").click()
        expect(page.locator("html")).to_have_attribute("lang", "it")
        visited += 1
    finally:
        for context, _page in contexts.values():
            context.close()

    assert violations == [], "CSP or Permissions-Policy violations:\n" + "\n".join(violations)
    resilience_report(
        scenario="strict CSP in Chromium",
        load=f"{visited} page visits (site, brand pages, admin, API docs, video player, "
        "language switch)",
        faults="CSP without unsafe-inline on every page",
        result="pages and their scripts work; 0 CSP violations",
        lost=0,
        pages=visited,
        csp_violations=len(violations),
    )


# --- Production settings ------------------------------------------------------------------------


def production_env(**extra: str) -> dict[str, str]:
    """The environment .ci/run gives `check --deploy`: production, a real key, a host."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS=PROD_HOST,
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.update(extra)
    return env


def test_check_deploy_passes_with_production_settings() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _request(
    method: str, url: str, *, body: str | None = None, headers: dict[str, str] | None = None
) -> http.client.HTTPResponse:
    connection_ = http.client.HTTPConnection("127.0.0.1", PORT, timeout=20)
    all_headers = {"Host": PROD_HOST, **(headers or {})}
    connection_.request(method, url, body=body, headers=all_headers)
    response = connection_.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection_.close()
    return response


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    """Cookie name -> its whole Set-Cookie line."""
    return {line.split("=", 1)[0]: line for line in response.headers.get_all("Set-Cookie") or []}


@pytest.fixture
def production_server(transactional_db: None, tmp_path: Path) -> Iterator[None]:
    """gunicorn with production settings on the test database, behind a pretend TLS proxy."""
    static_root = tmp_path / "static"
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = production_env(
        DATABASE_URL=database_url,
        STATIC_ROOT=str(static_root),
        MEDIA_ROOT=str(tmp_path / "media"),
        PASSAPAROLA_VAR_DIR=str(tmp_path / "var"),
        TRUSTED_PROXY_COUNT="1",
    )
    # Our own static files only (the admin's and Swagger's are not on the pages visited).
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "collectstatic",
            "--noinput",
            "--ignore=admin",
            "--ignore=drf_spectacular_sidecar",
            "--ignore=rest_framework",
        ],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [
            str(gunicorn),
            "config.wsgi",
            f"--bind=127.0.0.1:{PORT}",
            "--workers=1",
            "--graceful-timeout=2",
            "--log-level=warning",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                _request("GET", "/healthz", headers={"X-Forwarded-Proto": "https"})
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "gunicorn did not start: " + process.stderr.read().decode()[-2000:]
                    ) from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.postgres
def test_production_responses_carry_hsts_and_secure_cookies(
    production_server: None, resilience_report
) -> None:
    # Hashed the way production hashes (tests hash cheaply with a hasher production lacks).
    person = UserFactory(email="prod@headers.example")
    person.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    person.save(update_fields=["password"])
    https = {"X-Forwarded-Proto": "https"}

    plain = _request("GET", "/")
    assert plain.status == 301
    assert plain.headers["Location"] == f"https://{PROD_HOST}/"

    page = _request("GET", "/accounts/login/", headers=https)
    assert page.status == 200
    assert page.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    policy = assert_strict_csp(page.headers["Content-Security-Policy"], "production page")
    assert "upgrade-insecure-requests" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in page.headers["Permissions-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    csrf = _cookies(page)[settings.CSRF_COOKIE_NAME]
    assert "; Secure" in csrf
    assert "SameSite=Lax" in csrf

    # Signing in starts a session: its cookie is Secure and HttpOnly.
    token = csrf.split("=", 1)[1].split(";", 1)[0]
    signed_in = _request(
        "POST",
        "/accounts/login/",
        body=urlencode(
            {"csrfmiddlewaretoken": token, "login": "prod@headers.example", "password": PASSWORD}
        ),
        headers={
            **https,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{settings.CSRF_COOKIE_NAME}={token}",
            "Origin": f"https://{PROD_HOST}",
            "Referer": f"https://{PROD_HOST}/accounts/login/",
        },
    )
    assert signed_in.status == 302, signed_in.body.decode()[-3000:]
    session = _cookies(signed_in)[settings.SESSION_COOKIE_NAME]
    assert "; Secure" in session
    assert "; HttpOnly" in session
    assert signed_in.headers["Strict-Transport-Security"].startswith("max-age=31536000")

    api = _request("GET", "/api/v1/campaigns/", headers=https)
    assert api.status == 200
    assert_strict_csp(api.headers["Content-Security-Policy"], "production API")
    missing = _request("GET", "/no-such-page/", headers=https)
    assert missing.status == 404
    assert_strict_csp(missing.headers["Content-Security-Policy"], "production 404")
    assert missing.headers["Strict-Transport-Security"].startswith("max-age=31536000")

    resilience_report(
        scenario="production headers (gunicorn, DJANGO_DEBUG=false, HTTPS proxy)",
        load="page, sign-in, API, 404; check --deploy --fail-level WARNING",
        faults="plain HTTP request",
        result="301 to https; HSTS 1 year+preload; Secure cookies; CSP, nosniff, "
        "Referrer-Policy, Permissions-Policy set; check --deploy clean",
        lost=0,
    )
