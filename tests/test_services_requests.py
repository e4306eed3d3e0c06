"""Request use cases and the CRUD helper, called directly on SQLite (no Flask): the
status machine, the CSV format, batch imports and the generic resource rules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldops.domain.errors import FieldError
from fieldops.schemas import request_from_json
from fieldops.schemas.requests_csv import request_row_to_json as row_to_json
from fieldops.services import requests as svc
from fieldops.services.crud import page
from fieldops.services.errors import BadInput, Conflict, Forbidden, NotFound, RowError, TooLarge
from fieldops.services.request_csv import rows_from_csv
from fieldops.services.resources import SHIFTS, TECHNICIANS, TIERS, technicians_query
from fieldops.store.db import Database
from fieldops.store.models import CustomerRow, RequestRow, SkillRow, StatusEvent

DAY = "2026-03-02"


@pytest.fixture
def s(tmp_path: Path) -> Iterator[Session]:
    db = Database(f"sqlite:///{tmp_path / 'requests.sqlite3'}")
    db.upgrade()
    with db.session() as session:
        yield session
    db.dispose()


def body(rid: str = "r1", **extra: Any) -> dict[str, Any]:
    return {"id": rid, "location": {"lat": 52.5, "lon": 13.4}, "duration": "PT30M", **extra}


def technician(tid: str = "t1") -> dict[str, Any]:
    return {"id": tid, "name": tid, "home": {"lat": 52.5, "lon": 13.4}}


def shift(sid: str, start: str, end: str, tid: str = "t1") -> dict[str, Any]:
    return {"id": sid, "technician_id": tid, "start": f"{DAY}T{start}:00+01:00",
            "end": f"{DAY}T{end}:00+01:00"}


def add(s: Session, rid: str = "r1", **extra: Any) -> RequestRow:
    return svc.create_request(s, request_from_json(body(rid, **extra), ""), actor="test")


# ---------------------------------------------------------------- status machine
def test_a_request_walks_from_new_to_done(s: Session) -> None:
    row = add(s)
    for status in ("scheduled", "dispatched", "en_route", "on_site", "done"):
        svc.change_status(s, row, status, actor="tech", at=None, note=status,
                          by_technician=status in svc.TECHNICIAN_MOVES)
    assert row.status == "done"
    assert [(e.previous, e.status) for e in svc.history(s, "r1")] == [
        (None, "new"), ("new", "scheduled"), ("scheduled", "dispatched"),
        ("dispatched", "en_route"), ("en_route", "on_site"), ("on_site", "done")]


def test_a_move_not_allowed_names_the_allowed_ones(s: Session) -> None:
    row = add(s)
    with pytest.raises(Conflict) as err:
        svc.change_status(s, row, "done", actor="test", at=None)
    assert err.value.kind == "invalid-transition"
    assert err.value.extra == {"allowed": ["cancelled", "dispatched", "scheduled"]}
    assert row.status == "new"


def test_a_technician_may_only_move_a_job_along(s: Session) -> None:
    row = add(s)
    svc.change_status(s, row, "dispatched", actor="test", at=None)
    with pytest.raises(Forbidden):
        svc.change_status(s, row, "cancelled", actor="tech", at=None, by_technician=True)
    svc.change_status(s, row, "en_route", actor="tech", at=None, by_technician=True)
    assert row.status == "en_route"


@pytest.mark.parametrize("back_to", ["new", "cancelled"])
def test_going_back_clears_the_assignment(s: Session, back_to: str) -> None:
    row = add(s)
    row.assigned_technician_id, row.plan_id = "t1", None
    svc.change_status(s, row, "scheduled", actor="test", at=None)
    svc.change_status(s, row, back_to, actor="test", at=None)
    assert row.assigned_technician_id is None and row.planned_start is None


def test_only_open_requests_are_edited_and_only_new_or_cancelled_deleted(s: Session) -> None:
    row = add(s)
    svc.change_status(s, row, "scheduled", actor="test", at=None)
    edited = svc.replace_request(s, "r1", body(duration="PT45M"))
    assert edited.duration_s == 45 * 60
    with pytest.raises(Conflict):
        svc.delete_request(s, "r1")
    svc.change_status(s, row, "en_route", actor="test", at=None)
    with pytest.raises(Conflict):
        svc.replace_request(s, "r1", body())
    with pytest.raises(FieldError) as err:
        svc.replace_request(s, "r1", body("r2"))
    assert err.value.field == "id"
    svc.change_status(s, row, "cancelled", actor="test", at=None)
    svc.delete_request(s, "r1")
    s.flush()
    with pytest.raises(NotFound):
        svc.delete_request(s, "r1")


def test_references_must_exist(s: Session) -> None:
    with pytest.raises(FieldError) as err:
        add(s, "r1", preferred_technicians=["ghost"])
    assert err.value.field == "preferred_technicians[0]"
    with pytest.raises(FieldError) as err:
        add(s, "r2", contract_tier="gold", created_at=f"{DAY}T08:00:00+01:00")
    assert err.value.field == "contract_tier"
    add(s, "r3")
    with pytest.raises(Conflict):
        add(s, "r3")


# ---------------------------------------------------------------- CSV and batches
def test_a_csv_row_becomes_the_request_json() -> None:
    row = {"id": "r1", "lat": "52.5", "lon": "13.4", "duration": "PT30M", "address": " ",
           "windows": f"{DAY}T08:00Z/{DAY}T10:00Z;{DAY}T12:00Z/{DAY}T14:00Z",
           "required_skills": "gas:2;water", "excluded_technicians": "t1; t2"}
    assert row_to_json(row) == {
        "id": "r1", "duration": "PT30M", "location": {"lat": 52.5, "lon": 13.4},
        "windows": [{"start": f"{DAY}T08:00Z", "end": f"{DAY}T10:00Z"},
                    {"start": f"{DAY}T12:00Z", "end": f"{DAY}T14:00Z"}],
        "required_skills": [{"name": "gas", "level": 2}, {"name": "water", "level": 1}],
        "excluded_technicians": ["t1", "t2"],
    }


@pytest.mark.parametrize(("text", "error", "message"), [
    (b"", BadInput, "CSV is empty"),
    (b"id,colour\nr1,red\n", BadInput, "unknown CSV column 'colour'"),
    (b"id,id\nr1,r1\n", BadInput, "duplicate CSV column"),
    (b"id,duration\nr1\n", BadInput, "fewer cells"),
    (b"id\n\xff\n", BadInput, "not UTF-8"),
    (b"id,lat\nr1,north\n", RowError, "row 1: lat: 'north' is not a number"),
    (b"id\nr1\nr2\nr3\n", TooLarge, "at most 2 per import"),
])
def test_bad_csv_names_what_is_wrong(text: bytes, error: type[Exception],
                                     message: str) -> None:
    with pytest.raises(error) as err:
        list(rows_from_csv(text, limit=2))
    assert message in str(err.value)


def test_a_batch_is_all_or_nothing(s: Session) -> None:
    add(s, "old")
    rows = svc.rows_from_json({"requests": [body("a"), body("b")]}, limit=5)
    parsed = svc.parse_batch(rows, "requests")
    assert svc.import_requests(s, parsed, "requests", actor="test") == ["a", "b"]

    with pytest.raises(RowError) as row_err:
        svc.parse_batch(svc.rows_from_json([body("c"), body("c")], limit=5), "requests")
    assert (row_err.value.field, row_err.value.extra) == ("requests[1].id", {"row": 2})
    with pytest.raises(Conflict) as conflict:
        svc.import_requests(s, svc.parse_batch([(1, body("d")), (2, body("old"))], ""), "",
                            actor="test")
    assert conflict.value.field == "id" and conflict.value.extra == {"row": 2}
    assert s.scalar(select(RequestRow.id).where(RequestRow.id == "d")) is None
    with pytest.raises(TooLarge):
        svc.rows_from_json([body()] * 3, limit=2)
    with pytest.raises(FieldError):
        svc.parse_batch([], "requests")
    assert s.scalars(select(StatusEvent.request_id).order_by(StatusEvent.id)).all() == [
        "old", "a", "b"]


# ---------------------------------------------------------------- the CRUD helper
def test_crud_create_replace_and_delete_follow_one_set_of_rules(s: Session) -> None:
    TECHNICIANS.create(s, technician("t1"))
    with pytest.raises(Conflict) as err:
        TECHNICIANS.create(s, technician("t1"))
    assert err.value.detail == "technician 't1' already exists" and err.value.field == "id"
    with pytest.raises(FieldError) as field_err:
        TECHNICIANS.replace(s, "t1", technician("t2"))
    assert field_err.value.field == "id"
    with pytest.raises(NotFound) as missing:
        TIERS.get(s, "gold")
    assert missing.value.detail == "contract tier 'gold' not found"
    renamed = TECHNICIANS.replace(s, "t1", {**technician("t1"), "name": "Ada"})
    assert renamed.name == "Ada"
    add(s, "r1", pinned_technician="t1")
    with pytest.raises(Conflict) as used:
        TECHNICIANS.delete(s, "t1")
    assert used.value.detail == "request 'r1' is pinned to this technician"
    TECHNICIANS.create(s, technician("t2"))
    TECHNICIANS.delete(s, "t2")
    assert page(s, technicians_query(), {"page": 1, "per_page": 10}, lambda r: r.id) == {
        "items": ["t1"], "page": 1, "per_page": 10, "total": 1}


def test_shift_checks_run_on_create_and_replace(s: Session) -> None:
    with pytest.raises(FieldError) as err:
        SHIFTS.create(s, shift("s1", "08:00", "12:00", tid="ghost"))
    assert err.value.field == "technician_id"
    TECHNICIANS.create(s, technician("t1"))
    SHIFTS.create(s, shift("s1", "08:00", "12:00"))
    with pytest.raises(FieldError) as clash:
        SHIFTS.create(s, shift("s2", "11:00", "15:00"))
    assert clash.value.field == "start" and "'s1'" in clash.value.message
    # A shift does not clash with itself when it is replaced.
    assert SHIFTS.replace(s, "s1", shift("s1", "09:00", "13:00")).id == "s1"


def test_an_id_stored_between_the_check_and_the_insert_is_a_conflict(s: Session) -> None:
    """What a concurrent import does: the id appears after import_requests looked
    (simulated by storing it with the check skipped): 409 on the id, not a 500."""
    add(s, "taken")
    batch = [request_from_json(body(rid), "") for rid in ("fresh", "taken")]
    with pytest.raises(Conflict) as caught:
        svc._store_new(s, batch, "test")
    assert caught.value.field == "id" and "'taken'" in caught.value.detail


def test_imports_naming_a_known_or_new_customer_and_skill_create_each_once(s: Session) -> None:
    skill = [{"name": "gas", "level": 1}]
    first = [request_from_json(body(f"a{i}", customer_id="c1", customer_name="First",
                                    required_skills=skill), "") for i in range(3)]
    svc.import_requests(s, first, "requests", actor="test")
    again = [request_from_json(body("b1", customer_id="c1", customer_name="Other",
                                    required_skills=skill), "")]
    svc.import_requests(s, again, "requests", actor="test")
    customers = list(s.scalars(select(CustomerRow)))
    assert [(c.id, c.name) for c in customers] == [("c1", "First")]
    assert list(s.scalars(select(SkillRow.name))) == ["gas"]
