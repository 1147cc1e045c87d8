"""Debian's Chromium driven by Playwright, and axe-core's verdict on every page a journey visits.

Playwright is imported inside the fixtures so that, where it or Chromium is missing, the tests
skip (or fail under REQUIRE_SERVICES=1) through tests/conftest.py instead of breaking collection.
Never `playwright install`: the browser is the distribution's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.core.signals import setting_changed

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def compiled_translations() -> None:
    """Compile the catalogues the pages are rendered with, as `make messages` does."""
    locale = BASE_DIR / "locale"
    if not any(locale.glob("*/LC_MESSAGES/django.po")):
        return
    pybabel = str(Path(sys.executable).with_name("pybabel"))
    command = [pybabel, "compile", "-d", str(locale), "-D", "django"]
    compiled = subprocess.run(command, capture_output=True, text=True, check=False)
    if compiled.returncode:
        pytest.fail(f"pybabel could not compile locale/:\n{compiled.stderr}", pytrace=False)
    # Forget catalogues Django may have loaded before they were compiled, the way Django's test
    # tools do when LOCALE_PATHS changes.
    setting_changed.send(
        sender=type(settings), setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module.

    Playwright's sync API keeps an asyncio loop running in this thread, so Django would refuse
    the test's own ORM calls as "async unsafe"; they are not (no event loop work happens while
    they run). The switch is limited to this module's lifetime.
    """
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A fresh phone-sized tab (no cookies) whose relative URLs point at the live server."""
    return new_page()


@pytest.fixture(autouse=True)
def _media_through_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the live server hand /media/ to the project's view, as in production.

    Django's LiveServerThread wraps the site in a handler that serves MEDIA_URL straight from
    disk, without the headers core.media.media_serve adds (nosniff, sandboxing CSP).
    """
    from django.test import testcases

    monkeypatch.setattr(testcases._MediaFilesHandler, "_should_handle", lambda self, path: False)


@pytest.fixture
def new_page(
    browser: Browser, live_server: Any, compiled_translations: None
) -> Iterator[Callable[..., Page]]:
    """Open tabs in fresh contexts of their own (separate cookies, so separate people).

    A phone by default (participant pages); `desktop=True` for brand and admin pages.
    `timezone_id` sets the browser's own zone, to tell it apart from a brand's.
    """
    contexts: list[Any] = []

    def open_page(*, desktop: bool = False, timezone_id: str | None = None) -> Page:
        options: dict[str, Any] = {"base_url": live_server.url, "locale": "en-US"}
        if desktop:
            options["viewport"] = DESKTOP
        else:
            options |= {"viewport": PHONE, "is_mobile": True, "has_touch": True}
        if timezone_id:
            options["timezone_id"] = timezone_id
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def sign_in(page: Page, *, email: str, password: str) -> None:
    """Fill and send the allauth sign-in form the page is on (checked by axe first)."""
    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert_accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.I)).click()


def _target(node: dict[str, Any]) -> str:
    # A target is a list of selectors, one per frame or shadow root on the way to the element.
    return " >> ".join(
        " ".join(part) if isinstance(part, list) else str(part) for part in node["target"]
    )


def assert_accessible(
    page: Page, *, waived: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Run axe-core on the page; fail on any serious or critical violation, naming each target.

    `waived` maps a rule id to the one target where it is a known, reported bug: that node does
    not fail the test, but a waiver that matches nothing does, so it goes once the bug is fixed.
    Returns every violation found (milder ones included) for a test that wants to look further.
    """
    from axe_playwright_python.sync_playwright import Axe

    waived = dict(waived or {})
    page.wait_for_load_state("load")
    violations = Axe().run(page).response["violations"]
    blocking, matched = [], set()
    for violation in violations:
        if violation.get("impact") not in BLOCKING_IMPACTS:
            continue
        rule = violation["id"]
        nodes = [node for node in violation["nodes"] if _target(node) != waived.get(rule)]
        if len(nodes) < len(violation["nodes"]):
            matched.add(rule)
        if nodes:
            blocking.append({**violation, "nodes": nodes})
    lines = [
        f"- {v['id']} ({v['impact']}): {v['help']}\n"
        + "".join(f"    at {_target(node)}\n" for node in v["nodes"])
        for v in blocking
    ]
    if blocking:
        pytest.fail(
            f"{len(blocking)} serious or critical accessibility violation(s) on {page.url}:\n"
            + "".join(lines)
        )
    if stale := sorted(set(waived) - matched):
        pytest.fail(
            f"waived accessibility violation(s) no longer found on {page.url}, remove the "
            f"waiver: {', '.join(f'{rule} at {waived[rule]}' for rule in stale)}"
        )
    return violations
