"""The README's command table and demo text describe the real command line."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from fieldops.cli import build_parser
from fieldops.cli import roster as roster_cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def cli_commands() -> set[str]:
    """Every command ``fieldops --help`` lists, with the actions of groups (``db upgrade``)."""
    out = set()
    for name, sub in _subparsers(build_parser()).items():
        actions = _subparsers(sub)
        out |= {f"{name} {a}" for a in actions} if actions else {name}
    return out


def readme_commands() -> set[str]:
    """The commands named in the first column of the README's command table."""
    section = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    cells = [line.split(" | ", 1)[0] for line in section.splitlines() if line.startswith("| `")]
    named = set()
    groups = {name for name in cli_commands() if " " in name}
    for cell in cells:
        for words in re.findall(r"`fieldops ([\w-]+(?: [\w-]+)?)", cell):
            first, _, second = words.partition(" ")
            named.add(words if f"{first} {second}" in groups else first)
    return named


def test_command_table_names_every_command() -> None:
    assert readme_commands() == cli_commands()


def test_roster_demo_covers_what_the_readme_says(tmp_path: Path) -> None:
    agents_path, _ = roster_cli.write_sample(tmp_path)  # what `fieldops demo --roster` rosters
    problem = json.loads(agents_path.read_text(encoding="utf-8"))
    days, agents = problem["horizon"]["days"], len(problem["agents"])
    words = {7: "one week", 14: "two weeks", 28: "four weeks"}
    claim = f"({agents} named agents over {words[days]}"
    assert claim in " ".join(README.split())
