"""A real browser for the portal's tests: Debian's Chromium driven by Playwright for Python,
axe-core's accessibility check, and the screenshots the docs show.

Playwright's own browser download is not reachable from where Entitle is built and tested, so
the tests launch the system's Chromium by its path (`ENTITLE_CHROMIUM`, else the first of
`chromium`, `chromium-browser`, `google-chrome` on PATH). `.ci/run` installs Debian's
`chromium`. Without one, a browser test is skipped locally and fails under CI, as the
PostgreSQL tests do (`devkit.testsupport`).

Screenshots are always taken (a page that cannot be drawn fails the test); they are written
under `docs/portal/` only when `ENTITLE_SCREENSHOTS` names that folder (`make screenshots`),
so a test run leaves the work tree as it found it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from devkit.testsupport import postgres_required

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# What a sandboxed machine needs: no first-run, no background calls to Google's hosts (refused
# here, and slow to be refused), no GPU.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# axe-core's impacts that fail a page: "serious" and "critical" (the bar); "moderate"
# and "minor" are reported by the test's message only when a serious one fails it.
FAILING_IMPACTS = ("serious", "critical")
SKIPPED_WITHOUT_CHROMIUM = "no Chromium found (set ENTITLE_CHROMIUM, or apt-get install chromium)"


def chromium_path() -> str | None:
    if path := os.environ.get("ENTITLE_CHROMIUM"):
        return path
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def require_chromium() -> str:
    """The Chromium to launch; without one the test is skipped, or fails where the browser
    tests are required (CI=true, as for PostgreSQL)."""
    if path := chromium_path():
        return path
    if postgres_required():
        pytest.fail(f"the browser tests are required here (CI=true): {SKIPPED_WITHOUT_CHROMIUM}", pytrace=False)
    pytest.skip(SKIPPED_WITHOUT_CHROMIUM)


@contextmanager
def chromium() -> Iterator[Any]:
    """One headless Chromium for a test session (pages get a context each)."""
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    # Chromium refuses to run as root with its sandbox (containers, CI runners).
    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=args, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in FAILING_IMPACTS:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{violation['impact']} {violation['id']}: {violation['help']} at {targets}")
    return found


def assert_accessible(page: Any) -> None:
    violations = serious_violations(page)
    assert not violations, f"{page.url}:\n" + "\n".join(violations)


def screenshots_dir() -> Path | None:
    where = os.environ.get("ENTITLE_SCREENSHOTS")
    return Path(where) if where else None


def screenshot(page: Any, name: str) -> bytes:
    """The page as drawn (the full page); kept in docs/portal/<name>.png when asked."""
    picture: bytes = page.screenshot(full_page=True)
    assert picture.startswith(b"\x89PNG"), f"{page.url} could not be drawn"
    if folder := screenshots_dir():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.png").write_bytes(picture)
    return picture
