"""The report opens in a real browser (headless Chromium) without network access.

Runs where /usr/bin/chromium exists. With FIELDOPS_TEST_CHROMIUM=1 (set in the CI
job that installs Chromium) a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mpimg

from fieldops.reports import render_report

from dispatch_fixtures import small_plan, small_problem

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Any request leaving the page would fail to resolve instead of reaching out.
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
WIDTH, HEIGHT = 1280, 2000


def _chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("FIELDOPS_TEST_CHROMIUM") == "1":
        pytest.fail(f"FIELDOPS_TEST_CHROMIUM=1 but {CHROMIUM} does not exist")
    pytest.skip(f"{CHROMIUM} not installed (set FIELDOPS_TEST_CHROMIUM=1 to require it)")


def screenshot(html_file: Path, png: Path, width: int = WIDTH, height: int = HEIGHT) -> None:
    """Render ``html_file`` with headless Chromium into ``png`` (used for the docs too)."""
    browser = _chromium()
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                str(browser),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--hide-scrollbars",
                f"--screenshot={png}",
                html_file.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    assert png.exists(), result.stderr[-2000:]


@pytest.mark.chromium
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    problem = small_problem()
    page = tmp_path / "report.html"
    page.write_text(render_report(small_plan(problem), problem), encoding="utf-8")
    shot = tmp_path / "report.png"
    screenshot(page, shot)

    pixels = mpimg.imread(shot)
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    rgb = pixels[..., :3]
    # A blank or error page is (nearly) one colour; the report has text, charts and
    # the orange/blue timeline bars.
    assert float(rgb.std()) > 0.05
    orange = np.array([0xF2, 0x8E, 0x2B]) / 255.0  # the timeline's travel colour
    close = np.abs(rgb - orange).max(axis=-1) < 0.04
    assert close.sum() > 500, "the embedded timeline chart was not drawn"
