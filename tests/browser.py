"""Drive Debian's chromium headless with Playwright, for tests of the HTML we write.

Never downloads a browser: it uses ``/usr/bin/chromium`` (or ``chromium`` on ``PATH``)
and skips the calling test, with the reason, when there is none or when Playwright
cannot start it. Each session gets a fresh profile in a temporary folder, and records

- ``console_errors``: console messages of type ``error`` and uncaught page errors;
- ``external_requests``: every request whose URL is not ``file:``, ``data:``,
  ``about:`` or ``blob:`` -- a self-contained page makes none.

Usage::

    from browser import browser_page

    @pytest.mark.browser
    def test_page(tmp_path):
        with browser_page() as run:
            run.page.goto(path.as_uri())
            ...
        assert run.console_errors == []
        assert run.external_requests == []
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHROMIUM_ARGS", "LOCAL_SCHEMES", "BrowserRun", "browser_page", "chromium_path"]

#: Flags for a quiet, offline, sandbox-free headless run (containers lack user namespaces).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: URL schemes that never leave the machine.
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def chromium_path() -> str | None:
    """Path of the system chromium: ``/usr/bin/chromium``, else ``chromium`` on PATH."""
    fixed = Path("/usr/bin/chromium")
    if fixed.is_file():
        return str(fixed)
    return shutil.which("chromium")


@dataclass
class BrowserRun:
    """One page in a fresh browser profile and what it did.

    Attributes
    ----------
    page : playwright.sync_api.Page
        The page; navigate it with ``page.goto(path.as_uri())``.
    context : playwright.sync_api.BrowserContext
        Its context (downloads are accepted).
    console_errors : list of str
        Console ``error`` messages and uncaught exceptions, in order.
    external_requests : list of str
        URLs of requests outside :data:`LOCAL_SCHEMES`, in order.
    """

    page: Any
    context: Any
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)


@contextmanager
def browser_page(
    *, viewport: tuple[int, int] = (1280, 900)
) -> Iterator[BrowserRun]:
    """Start chromium with a fresh profile and yield a :class:`BrowserRun`.

    Skips the calling test (``pytest.skip``) when chromium or Playwright is missing or the
    browser does not start. Closes the browser and removes the profile on exit.
    """
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium not found (looked for /usr/bin/chromium and chromium on PATH)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a test dependency
        pytest.skip("playwright is not installed")

    profile = tempfile.mkdtemp(prefix="survey-chromium-")
    manager = sync_playwright()
    try:
        playwright = manager.start()
    except Exception as exc:  # noqa: BLE001 - any start failure is an environment problem
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"playwright cannot start: {exc}".splitlines()[0])
    try:
        try:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                headless=True,
                args=CHROMIUM_ARGS,
                accept_downloads=True,
                viewport={"width": viewport[0], "height": viewport[1]},
            )
        except PlaywrightError as exc:
            pytest.skip(f"playwright cannot start {executable}: {exc}".splitlines()[0])
        try:
            page = context.pages[0] if context.pages else context.new_page()
            run = BrowserRun(page=page, context=context)

            def on_console(msg: Any) -> None:
                if msg.type == "error":
                    run.console_errors.append(msg.text)

            def on_request(request: Any) -> None:
                if not request.url.startswith(LOCAL_SCHEMES):
                    run.external_requests.append(request.url)

            context.on("request", on_request)
            page.on("console", on_console)
            page.on("pageerror", lambda exc: run.console_errors.append(f"uncaught: {exc}"))
            yield run
        finally:
            context.close()
    finally:
        manager.__exit__(None, None, None)
        shutil.rmtree(profile, ignore_errors=True)
