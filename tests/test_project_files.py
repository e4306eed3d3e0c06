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


def _ci_checks() -> list[str]:
    """The `make` targets `.ci/run` calls besides the tests themselves."""
    targets = re.findall(r"^make (\w+)\s*$", (ROOT / ".ci/run").read_text(), flags=re.M)
    assert "test" in targets, ".ci/run must call `make test`"
    return [t for t in targets if t != "test"]


def test_pre_commit_runs_every_check_ci_runs() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    entries = {hook["entry"] for repo in config["repos"] for hook in repo["hooks"]}
    missing = [t for t in _ci_checks() if f"make {t}" not in entries]
    assert not missing, f"CI runs checks pre-commit does not: {missing}"
    makefile = (ROOT / "Makefile").read_text()
    for entry in entries:
        target = entry.removeprefix("make ")
        assert re.search(rf"^{target}:", makefile, flags=re.M), f"no Makefile target {target}"


def test_changelog_has_an_unreleased_section() -> None:
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()
