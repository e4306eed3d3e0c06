"""JSON files: read with errors that name the file, write in one house style."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fieldops.domain.errors import FieldError
from fieldops.domain.plan import DispatchPlan
from fieldops.domain.problem import DispatchProblem
from fieldops.schemas.dispatch import plan_from_json, problem_from_json


def read_json_file(path: str | Path) -> Any:
    """Parsed JSON of a file; unreadable or invalid files are a :class:`FieldError`."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise FieldError("", f"{path}: not valid JSON ({exc})") from None
    except OSError as exc:
        raise FieldError("", f"cannot read {path}: {exc}") from None


def load_problem(path: str | Path) -> DispatchProblem:
    """Read a dispatch problem file (docs/json-format.md)."""
    return problem_from_json(read_json_file(path))


def load_plan(path: str | Path) -> DispatchPlan:
    """Read a plan file written by ``fieldops solve``."""
    return plan_from_json(read_json_file(path))


def dump_json(data: Any, path: str | Path) -> None:
    """Write ``data`` as indented UTF-8 JSON with a final newline."""
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
