"""Browser tests: the portal in Debian's Chromium (Playwright), against the running stack of
`tests/conftest.py`. They run on the SQLite stack only (the pages are the same over either
database; the PostgreSQL stack's worker carries the other half of the system tests). Every
page a journey opens is checked by axe-core and drawn (`devkit.browser`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from devkit.browser import assert_accessible, chromium, screenshot
from devkit.devstack import PORTAL
from devkit.mailbox import ReceivedMail, read_mailbox

# A browser test module sets `pytestmark = ON_SQLITE_STACK`: one stack, not the two backends.
ON_SQLITE_STACK = pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
TEXT_LINK = re.compile(r"https?://[^\s<>\"']+")
PASSWORD = "Correct-Horse-9"
WAIT_MS = 30_000  # the longest a page waits for an asynchronous effect (activation, an e-mail)


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    """One Chromium per module, not per session: Playwright's sync API keeps an event loop
    running on the thread while it is open, and the asyncio tests that follow on the same
    pytest-xdist worker need the thread's loop free again."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def open_browser(chromium_browser, stack):
    """A new browser profile (its own cookies) in a language, with or without JavaScript:
    `open_browser("fr")` → a page."""
    contexts = []

    def open_(locale: str = "en", javascript: bool = True) -> Any:
        context = chromium_browser.new_context(
            base_url=stack.config.url(PORTAL),
            locale=locale,
            viewport={"width": 1200, "height": 900},
            java_script_enabled=javascript,
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


def look(page: Any, name: str) -> None:
    """The page as a person meets it: no serious accessibility violation, and drawn."""
    page.wait_for_load_state("load")
    assert_accessible(page)
    screenshot(page, name)


def mail_to(stack, email: str, template: str) -> ReceivedMail | None:
    return next((m for m in read_mailbox(stack.config.mail_dir) if m.to == email and m.template == template), None)


def link_in(mail: ReceivedMail) -> str:
    [link] = set(TEXT_LINK.findall(mail.text))
    return link


def an_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:10]}@example.com"


def sign_in(page: Any, email: str, shots: bool = False) -> None:
    """Through the portal's sign-in form, as the person types it."""
    page.goto("/sign-in")
    if shots:
        look(page, "sign-in")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_load_state("load")


def beside_the_browser(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `call` on a thread of its own: Playwright's sync API keeps an event loop running on
    the test's thread, so a helper that runs its own (`asyncio.run`, the time machine) cannot."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(call, *args, **kwargs).result()
