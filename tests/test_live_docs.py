"""The Python example in docs/live-day.md runs as written and its checks hold."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "live-day.md"


def test_live_day_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    out = io.StringIO()
    scope: dict[str, object] = {}
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], str(DOC), "exec"), scope)
    insertion = scope["inserted"]
    assert insertion.mode in {"no_move", "push", "repair"}  # type: ignore[attr-defined]
    assert "E-1" in {s.request_id for r in insertion.plan.routes  # type: ignore[attr-defined]
                     for s in r.jobs}
    assert out.getvalue()
