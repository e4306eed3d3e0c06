"""Contact-center agents kept between rosters: CRUD, the HR CSV import, and naming
stored agents in a roster request.

An agent's row holds its roster-problem JSON (``agents[]`` of docs/workforce.md).
A roster request may list agent ids (strings) instead of agent objects;
:func:`resolve_agents` puts the stored JSON in their place before the problem is
checked, so the roster keeps the agents as they were when it was submitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import Agent
from fieldops.schemas import agent_from_json, agent_to_json
from fieldops.schemas.agents_csv import agent_rows_from_csv
from fieldops.schemas.requests_csv import CsvFormatError, CsvRowError, TooManyRows
from fieldops.services.crud import Resource
from fieldops.services.errors import BadInput, RowError, TooLarge
from fieldops.store.models import AgentRow, utcnow

#: Longest agent id stored (the width of the id column, as in rosters).
MAX_ID = 200
#: Problem kind of an upload that is not CSV of known columns.
MALFORMED = "malformed-csv"


def decode_agent(body: dict[str, Any], path: str = "") -> Agent:
    """The agent JSON, checked (ids at most :data:`MAX_ID` characters)."""
    agent = agent_from_json(body, path)
    if len(agent.id) > MAX_ID:
        raise FieldError(f"{path}.id" if path else "id", f"must be at most {MAX_ID} characters")
    return agent


def _write(s: Session, agent: Agent, row: AgentRow | None) -> AgentRow:
    row = row or AgentRow(id=agent.id)
    row.name, row.contract, row.data = agent.name or None, agent.contract, agent_to_json(agent)
    return row


AGENTS = Resource(AgentRow, "agent", "agent", "id", decode=decode_agent, write=_write)


def agents_query(contract: str | None = None) -> Select[Any]:
    """Agents by id, of one contract when given."""
    q = select(AgentRow).order_by(AgentRow.id)
    return q if contract is None else q.where(AgentRow.contract == contract)


def agent_json(row: AgentRow) -> dict[str, Any]:
    """The stored agent JSON (what a roster problem's ``agents[]`` holds)."""
    return dict(row.data)


# ---------------------------------------------------------------- import
def rows_from_upload(raw: bytes, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """``(row number, agent JSON)`` of an HR CSV export (docs/api.md, Agents)."""
    try:
        return list(agent_rows_from_csv(raw, limit))
    except CsvFormatError as exc:
        raise BadInput(exc.message, field=exc.field, row=exc.row, kind=MALFORMED) from None
    except TooManyRows as exc:
        raise TooLarge(f"too many rows: at most {exc.limit} per import; split the file",
                       field="agents") from None
    except CsvRowError as exc:
        raise RowError(f"row {exc.row}: {exc.error}", field=exc.error.field,
                       row=exc.row) from None


def rows_from_json(data: Any, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """``(row number, agent JSON)`` of a JSON body: an array or ``{"agents": [...]}``."""
    if isinstance(data, dict) and set(data) == {"agents"}:
        data = data["agents"]
    if not isinstance(data, list):
        raise FieldError("agents", "send a JSON array of agents or {\"agents\": [...]}")
    if len(data) > limit:
        raise TooLarge(f"too many rows: at most {limit} per import; split the file",
                       field="agents")
    return list(enumerate(data, start=1))


def parse_rows(rows: Sequence[tuple[int, Any]], prefix: str = "") -> list[Agent]:
    """Every row decoded; ids unique within the batch. Errors name the row."""
    agents: list[Agent] = []
    seen: dict[str, int] = {}
    for number, data in rows:
        path = f"{prefix}[{number - 1}]" if prefix else ""
        try:
            agent = decode_agent(data, path)
        except FieldError as exc:
            raise RowError(f"row {number}: {exc}", field=exc.field, row=number) from None
        if agent.id in seen:
            raise RowError(f"row {number}: agent {agent.id!r} is also on row {seen[agent.id]}",
                           field=f"{path}.id" if path else "id", row=number)
        seen[agent.id] = number
        agents.append(agent)
    return agents


def import_agents(s: Session, agents: Sequence[Agent]) -> tuple[int, int]:
    """Insert or replace every agent in one statement; ``(created, updated)``.

    An HR export is re-imported whole, so an agent already stored is replaced.
    The insert is an ``INSERT … ON CONFLICT (id) DO UPDATE``, so two imports
    racing on the same new agent both succeed (the last one wins) instead of one
    failing on the primary key.
    """
    if not agents:
        return 0, 0
    ids = [a.id for a in agents]
    known = set(s.scalars(select(AgentRow.id).where(AgentRow.id.in_(ids))))
    now = utcnow()
    values = [{"id": a.id, "name": a.name or None, "contract": a.contract,
               "data": agent_to_json(a), "updated_at": now} for a in agents]
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(AgentRow).values(values)
    s.execute(stmt.on_conflict_do_update(
        index_elements=[AgentRow.id],
        set_={key: getattr(stmt.excluded, key) for key in ("name", "contract", "data",
                                                             "updated_at")}))
    return len(agents) - len(known), len(known)


# ---------------------------------------------------------------- rosters
def resolve_agents(s: Session, problem: Any) -> Any:
    """``problem`` with each agent id (a string in ``agents``) replaced by the stored
    agent's JSON; agent objects are kept as sent.

    Raises :class:`FieldError` ``problem.agents[i]`` for an id that is not stored.
    """
    if not isinstance(problem, dict) or not isinstance(problem.get("agents"), list):
        return problem
    named = [a for a in problem["agents"] if isinstance(a, str)]
    if not named:
        return problem
    rows = {r.id: r for r in s.scalars(select(AgentRow).where(AgentRow.id.in_(named)))}
    agents: list[Any] = []
    for i, item in enumerate(problem["agents"]):
        if isinstance(item, str):
            if item not in rows:
                raise FieldError(f"problem.agents[{i}]",
                                 f"unknown agent {item!r} (add it with POST /api/v1/agents "
                                 "or /agents/import, or send the agent object)")
            item = agent_json(rows[item])
        agents.append(item)
    return {**problem, "agents": agents}
