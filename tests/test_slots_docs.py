"""The Python example in docs/customers.md runs as written and its checks hold."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "customers.md"


def test_slot_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    out = io.StringIO()
    scope: dict[str, object] = {}
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], str(DOC), "exec"), scope)
    offers = scope["offers"]
    assert offers, "the example's day has room"
    costs = [o.added_cost for o in offers]  # type: ignore[attr-defined]
    assert costs == sorted(costs)
    assert "booked on" in out.getvalue()
