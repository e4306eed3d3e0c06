"""The tracking page in a real browser: headless Chromium driven by Playwright.

The app is served on a loopback port; the customer opens the link on a phone-sized
screen, sees the appointment, and after the visit rates it through the page's form.
Every request the page makes is intercepted: anything not for this server fails
the test (the page must fetch nothing from anywhere), and a Content-Security-Policy
violation reported by the browser fails it too.

Runs where /usr/bin/chromium and Playwright exist. With FIELDOPS_TEST_CHROMIUM=1 (the
CI job that installs Chromium) a missing browser is a failure, not a skip. With
FIELDOPS_UPDATE_SCREENSHOTS=1 the screenshots are also written to docs/img/.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from .conftest import Api
from .test_tracking import _finish, _link, _published_day

CHROMIUM = Path("/usr/bin/chromium")
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
#: A phone's screen (CSS pixels): the page must fit it without sideways scrolling.
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run",
                 # Anything leaving the page fails to resolve instead of reaching out.
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def _required() -> bool:
    return os.environ.get("FIELDOPS_TEST_CHROMIUM") == "1"


def _sync_playwright() -> Any:
    if not CHROMIUM.exists():
        if _required():
            pytest.fail(f"FIELDOPS_TEST_CHROMIUM=1 but {CHROMIUM} does not exist")
        pytest.skip(f"{CHROMIUM} not installed (set FIELDOPS_TEST_CHROMIUM=1 to require it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if _required():
            pytest.fail("FIELDOPS_TEST_CHROMIUM=1 but Playwright is not installed "
                        "(pip install -e '.[dev]')")
        pytest.skip("Playwright not installed (set FIELDOPS_TEST_CHROMIUM=1 to require it)")
    return sync_playwright


@pytest.fixture
def server(api: Api) -> Iterator[str]:
    """The test app served on a free loopback port (threads, like gunicorn's)."""
    srv = make_server("127.0.0.1", 0, api.app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        thread.join()


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    png = tmp_path / name
    page.screenshot(path=str(png), full_page=True)
    assert png.stat().st_size > 0
    if os.environ.get("FIELDOPS_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(png, DOCS_IMG / name)


@pytest.mark.chromium
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_customer_follows_and_rates_the_visit_in_chromium(api: Api, server: str,
                                                          tmp_path: Path) -> None:
    sync_playwright = _sync_playwright()
    _published_day(api, "r1")
    path = _link(api, prepare=["Clear the way to the boiler in the basement",
                               "Keep pets in another room"])
    outside: list[str] = []
    csp_errors: list[str] = []

    def only_this_server(route: Any) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(server).netloc:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            page.route("**/*", only_this_server)
            page.on("console", lambda m: csp_errors.append(m.text)
                    if "Content Security Policy" in m.text else None)
            assert page.goto(server + path).status == 200
            assert "Booked" in page.inner_text("#status")
            assert page.inner_text("#technician") == "Ann"
            assert page.inner_text("#eta").startswith("around ")
            assert "Keep pets in another room" in page.inner_text("#prepare")
            assert page.is_visible("#reschedule") and page.is_visible("#cancel")
            # The hashed stylesheet applied (a blocked one would leave sections unstyled)
            # and the page fits the phone's width.
            radius = page.eval_on_selector("section", "e => getComputedStyle(e).borderRadius")
            assert radius != "0px"
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            _shot(page, tmp_path, "tracking.png")

            _finish(api)
            page.reload()
            assert "Done" in page.inner_text("#status")
            page.click("label:has(input[value='5'])")
            page.fill("#comment", "On time and very friendly.")
            page.click("#rating-form button[type=submit]")
            page.wait_for_selector("#rated")
            assert page.inner_text("#rated").startswith("5 / 5")
            assert page.url == server + path  # 303 back to the page
            _shot(page, tmp_path, "tracking-rated.png")
        finally:
            browser.close()
    assert outside == [], outside
    assert csp_errors == [], csp_errors
    rating = api.get("/api/v1/customers/c1/history").get_json()[0]
    assert (rating["kind"], rating["rating"], rating["comment"]) == (
        "rating", 5, "On time and very friendly.")
