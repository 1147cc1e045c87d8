"""Debian's Chromium driven by Playwright, and axe-core's verdict on every page a journey visits.

Playwright is imported inside the fixtures so that, where it or Chromium is missing, the tests
skip (or fail under REQUIRE_SERVICES=1) through tests/conftest.py instead of breaking collection.
Never `playwright install`: the browser is the distribution's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
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
def page(browser: Browser, live_server: Any, compiled_translations: None) -> Iterator[Page]:
    """A fresh phone-sized tab (no cookies) whose relative URLs point at the live server."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="en-US",
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _target(node: dict[str, Any]) -> str:
    # A target is a list of selectors, one per frame or shadow root on the way to the element.
    return " >> ".join(
        " ".join(part) if isinstance(part, list) else str(part) for part in node["target"]
    )


def assert_accessible(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page; fail on any serious or critical violation, naming each target.

    Returns every violation found (milder ones included) for a test that wants to look further.
    """
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    violations = Axe().run(page).response["violations"]
    blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
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
    return violations
