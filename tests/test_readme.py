"""The README's promises stay true: its API session is the tested one."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _walkthrough(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return text.split("<!-- walkthrough", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]


def test_readme_shows_the_walkthrough_that_tests_api_test_docs_runs() -> None:
    readme = _walkthrough(ROOT / "README.md")
    assert "curl" in readme
    assert readme == _walkthrough(ROOT / "docs" / "api.md")


def test_readme_opens_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    first_block = lines[lines.index("```sh") + 1 : lines.index("```", lines.index("```sh"))]
    assert [line.split("#")[0].strip() for line in first_block] == ["make demo", "make test"]
