"""Browser tests: Playwright for Python driving Debian's chromium (Playwright's own browser
download cannot work here). Skipped, saying why, when chromium is not installed."""

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: Any, socket_enabled: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    # Every browser test is also a Content-Security-Policy test: chromium reports each
    # inline script or style the policy refused on the console. Any other error on the
    # console (a failed request, a script error) fails the test too; a test that expects one
    # (a page answering 403 logs "Failed to load resource") takes it off page.console_errors.
    refused: list[str] = []
    errors: list[str] = []
    page.console_errors = errors
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text
            else errors.append(f"{message.text} ({message.location.get('url', '')})")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert refused == [], "the page broke its Content-Security-Policy"
    assert errors == [], "the browser reported errors on the console"
