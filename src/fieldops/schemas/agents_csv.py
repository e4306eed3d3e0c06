"""The agent CSV format: one contact-center agent per row, as an HR system exports it.

A header row names the columns (any order; ``id`` and ``contract`` are required,
the others optional). Empty cells mean "not given". Lists are ``;``-separated:

* ``id``: the agent's id (the HR system's), e.g. ``ann``;
* ``name``, ``email``: display name, address for calendar invitations;
* ``contract``: a contract id, defined in each roster problem, e.g. ``full``;
* ``queues``: skills as ``queue:proficiency`` (1-5, default 3), ``voice/en:5;chat/en:2``;
* ``days_off``: local dates with no shift, ``2026-12-08;2026-12-24``;
* ``unavailable``: periods ``start/end`` (instants) with no shift,
  ``2026-12-07T09:00+01:00/2026-12-07T11:00+01:00``;
* ``templates``: shift templates the agent may work (all when empty), ``early;late``.

Each row becomes the agent JSON of :class:`~fieldops.schemas.roster.AgentSchema`
(``agents[]`` of docs/workforce.md), which the API's ``/agents`` resource and
roster problems read like any other agent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import Agent
from fieldops.schemas.requests_csv import CSV_LIST_SEP, CsvRowError, csv_rows
from fieldops.schemas.roster import agent_from_json

AGENT_CSV_COLUMNS = frozenset({
    "id", "name", "email", "contract", "queues", "days_off", "unavailable", "templates",
})
_TEXT_COLUMNS = ("id", "name", "email", "contract")
_REQUIRED = ("id", "contract")


def _parts(cell: str) -> list[str]:
    return [p.strip() for p in cell.split(CSV_LIST_SEP) if p.strip()]


def _skills(cell: str) -> list[dict[str, Any]]:
    skills: list[dict[str, Any]] = []
    for i, part in enumerate(_parts(cell)):
        queue, sep, level = part.partition(":")
        skill: dict[str, Any] = {"queue": queue.strip()}
        if sep:
            try:
                skill["proficiency"] = int(level)
            except ValueError:
                raise FieldError(f"queues[{i}].proficiency",
                                 f"{level.strip()!r} is not a whole number from 1 to 5"
                                 ) from None
        skills.append(skill)
    return skills


def _unavailable(cell: str) -> list[dict[str, str]]:
    out = []
    for i, part in enumerate(_parts(cell)):
        start, sep, end = part.partition("/")
        if not sep:
            raise FieldError(f"unavailable[{i}]", "write periods as start/end;start/end")
        out.append({"start": start.strip(), "end": end.strip()})
    return out


def agent_row_to_json(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row to the agent JSON :func:`~fieldops.schemas.agent_from_json` reads.

    Raises :class:`FieldError` naming the column (``queues[1].proficiency``).
    """
    for key, value in row.items():
        if value is not None and "\x00" in value:
            raise FieldError(str(key), "must not contain NUL characters")
    cells = {k: v.strip() for k, v in row.items() if v is not None and v.strip()}
    for key in _REQUIRED:
        if key not in cells:
            raise FieldError(key, "is required")
    out: dict[str, Any] = {key: cells[key] for key in _TEXT_COLUMNS if key in cells}
    out["skills"] = _skills(cells.get("queues", ""))
    if "days_off" in cells:
        out["days_off"] = _parts(cells["days_off"])
    if "unavailable" in cells:
        out["unavailable"] = _unavailable(cells["unavailable"])
    if "templates" in cells:
        out["templates"] = _parts(cells["templates"])
    return out


def agent_rows_from_csv(raw: bytes | str, limit: int | None = None
                        ) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, agent JSON)`` per data row, numbered from 1.

    Raises :class:`~fieldops.schemas.requests_csv.CsvFormatError`,
    :class:`~fieldops.schemas.requests_csv.TooManyRows` or
    :class:`~fieldops.schemas.requests_csv.CsvRowError`.
    """
    return csv_rows(raw, AGENT_CSV_COLUMNS, agent_row_to_json, limit)


def read_agents_csv(path: str | Path) -> list[Agent]:
    """Every agent of a CSV file, checked; errors name the row (``row 3: queues[0]...``)."""
    agents = []
    for number, data in agent_rows_from_csv(Path(path).read_bytes()):
        try:
            agents.append(agent_from_json(data, ""))
        except FieldError as exc:
            raise CsvRowError(number, exc) from None
    return agents


__all__ = [
    "AGENT_CSV_COLUMNS",
    "agent_row_to_json",
    "agent_rows_from_csv",
    "read_agents_csv",
]
