"""Browser tests: Playwright driving Debian's Chromium against a live Django server."""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# for setup are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _starter_catalogue(transactional_db) -> None:
    """Transactional tests empty every table between tests, data migrations' rows included:
    put the attribute catalogue back, as a fresh installation has it."""
    from rapport.memory.catalogue import STARTER_CATALOGUE
    from rapport.memory.models import Attribute

    for entry in STARTER_CATALOGUE:
        Attribute.all_objects.get_or_create(key=entry["key"], defaults=entry)


def sign_in(page, live_server, email: str, password: str = "correct-horse-battery") -> None:
    """Sign in through the login form, as a person would, and wait for the home page."""
    page.goto(f"{live_server.url}/login/", timeout=60_000)  # the first page warms the server
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
