"""The files a contributor relies on agree with each other and with CI."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_license_file_matches_the_declared_license() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == {"text": "Apache-2.0"}
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text


def _check_targets() -> list[str]:
    """The targets of `make check`, which is what CI must run."""
    found = re.search(r"^check:(.*)$", (ROOT / "Makefile").read_text(), flags=re.M)
    assert found, "the Makefile has no check target"
    return found.group(1).split()


def test_ci_runs_every_check() -> None:
    called = re.findall(r"^make (\w+)\s*$", (ROOT / ".ci/run").read_text(), flags=re.M)
    missing = [t for t in _check_targets() if t not in called]
    assert not missing, f".ci/run does not run {missing}"


def test_pre_commit_runs_every_check_but_the_tests() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    entries = {hook["entry"] for repo in config["repos"] for hook in repo["hooks"]}
    wanted = {f"make {t}" for t in _check_targets() if t != "test"}
    assert entries == wanted


def test_changelog_has_an_unreleased_section() -> None:
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()
