"""``make demo`` on a fresh clone tells the user what it is doing while it installs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _dry_run(tmp_path: Path, target: str) -> list[str]:
    make = shutil.which("make")
    assert make, "make is needed to check the Makefile"
    # A venv path that does not exist: make plans the whole first install.
    out = subprocess.run([make, "-n", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def test_first_install_announces_each_step_and_shows_pip_progress(tmp_path: Path) -> None:
    lines = _dry_run(tmp_path, "demo")
    steps = [line for line in lines if line.startswith("echo") and "==>" in line]
    pips = [line for line in lines if " -m pip install" in line]
    assert len(pips) >= 2
    assert len(steps) >= len(pips) + 1  # one line per step, and one before the solve
    assert not [line for line in pips if "--quiet" in line or " -q " in line]
    # Each pip call is announced by the line just before it.
    for pip in pips:
        assert lines[lines.index(pip) - 1].startswith("echo"), pip
