"""Debian's Chromium driven by Playwright, for tests of the pages in a real browser.

.ci/run installs Chromium (`apt-get install chromium`) and sets GUICHET_REQUIRE_BROWSER=1, which turns a
missing browser into a failure; elsewhere the browser tests are skipped without it. Screenshots go to
test-artifacts/screenshots/ (kept by CI as the run's artefacts).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
# Without the background-networking flags Chromium keeps trying the outside world, which is closed here.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch():
    """(playwright, browser), or a skip (a failure where GUICHET_REQUIRE_BROWSER=1) without Chromium."""
    missing = ""
    if not os.access(CHROMIUM, os.X_OK):
        missing = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            missing = "playwright is not installed (make install)"
    if missing:
        if os.environ.get("GUICHET_REQUIRE_BROWSER") == "1":
            pytest.fail(f"GUICHET_REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)
    playwright = sync_playwright().start()
    return playwright, playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
