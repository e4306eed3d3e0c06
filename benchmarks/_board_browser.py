"""Driving the board in headless Chromium (Playwright): shared by
``benchmarks/board_render.py`` and the browser tests (tests/api/test_board_browser.py).

The app runs in a thread on 127.0.0.1 (Werkzeug's server); Playwright drives Debian's
``/usr/bin/chromium`` (no browser download). Every request the page makes is routed
through :class:`Board`: one to any host but the app's is recorded and aborted, so a
test can assert that the board never leaves this machine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
#: The screen the board must be readable on (issue 22).
VIEWPORT = {"width": 1366, "height": 768}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """``app`` on 127.0.0.1 at a free port, for the length of the block; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@dataclass
class Board:
    """A browser page on the app, with what it tried to reach elsewhere and its errors."""

    page: Any
    base: str
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def sign_in(self, key: str, day: str) -> None:
        self.page.goto(f"{self.base}/board/{day}")
        self.page.fill("#key", key)
        self.page.click("button[type=submit]")
        self.wait_ready()

    def wait_ready(self) -> None:
        self.page.wait_for_selector("body[data-ready=true]")

    def interactive_ms(self) -> float:
        """Milliseconds from navigation start to the page's ``board-interactive`` mark."""
        return float(self.page.evaluate(
            "performance.getEntriesByName('board-interactive')[0].startTime"))


@contextmanager
def board_page(base: str, *, timezone: str = "Europe/Berlin") -> Iterator[Board]:
    """A fresh browser context at 1366×768 on ``base``; no request leaves 127.0.0.1."""
    from playwright.sync_api import sync_playwright

    host = urlsplit(base).hostname
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT, timezone_id=timezone)
            page = context.new_page()
            board = Board(page, base)

            def guard(route: Any) -> None:
                if urlsplit(route.request.url).hostname == host:
                    route.continue_()
                else:
                    board.outside.append(route.request.url)
                    route.abort()

            context.route("**/*", guard)
            page.on("console", lambda m: board.errors.append(m.text) if m.type == "error"
                    else None)
            page.on("pageerror", lambda exc: board.errors.append(str(exc)))
            yield board
        finally:
            browser.close()
