"""API keys: 401 vs 403, each role's permissions both ways, technicians see own jobs."""

from __future__ import annotations

import pytest

from .conftest import (
    Api,
    assert_problem,
    plan_body,
    seed_day,
    service_request,
    technician,
)


def test_missing_malformed_unknown_and_revoked_keys_get_401(api: Api) -> None:
    resp = api.get("/api/v1/technicians", role=None)
    assert_problem(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(api.client.get("/api/v1/technicians",
                                  headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401)
    assert_problem(api.client.get("/api/v1/technicians",
                                  headers={"Authorization": "Bearer fo_not-a-key"}), 401)
    created = api.post("/api/v1/keys", json={"role": "dispatcher"}).get_json()
    secret = created["key"]
    ok = api.client.get("/api/v1/technicians", headers={"Authorization": f"Bearer {secret}"})
    assert ok.status_code == 200
    assert api.delete(f"/api/v1/keys/{created['id']}").status_code == 204
    revoked = api.client.get("/api/v1/technicians",
                             headers={"Authorization": f"Bearer {secret}"})
    assert_problem(revoked, 401)


def test_keys_are_stored_hashed_and_listed_without_secret(api: Api) -> None:
    created = api.post("/api/v1/keys", json={"role": "manager", "name": "dash"}).get_json()
    with api.app.extensions["fieldops"].db.engine.connect() as conn:
        from sqlalchemy import text

        hashes = [row[0] for row in conn.execute(text("SELECT key_hash FROM api_keys"))]
    assert created["key"] not in hashes
    import hashlib

    assert hashlib.sha256(created["key"].encode()).hexdigest() in hashes
    listed = api.get("/api/v1/keys").get_json()["items"]
    assert all("key" not in k for k in listed)


# (method, path, body) → roles allowed. Every other role must get 403.
READ_ALL = {"admin", "dispatcher", "manager"}
WRITE = {"admin", "dispatcher"}
MATRIX = [
    ("GET", "/api/v1/keys", None, {"admin"}),
    ("POST", "/api/v1/keys", {"role": "manager"}, {"admin"}),
    ("GET", "/api/v1/contract-tiers", None, READ_ALL),
    ("POST", "/api/v1/contract-tiers", {"name": "gold", "response_time": "PT4H"}, WRITE),
    ("GET", "/api/v1/customers", None, READ_ALL),
    ("POST", "/api/v1/customers", {"id": "c1"}, WRITE),
    ("GET", "/api/v1/skills", None, READ_ALL),
    ("POST", "/api/v1/skills", {"name": "gas"}, WRITE),
    ("POST", "/api/v1/technicians", technician("t9"), WRITE),
    ("POST", "/api/v1/requests", service_request("r9"), WRITE),
    ("GET", "/api/v1/plans", None, READ_ALL),
    ("POST", "/api/v1/plans", plan_body(request_ids=[]), WRITE),
    ("GET", "/api/v1/shifts", None, READ_ALL | {"technician"}),
    ("GET", "/api/v1/requests", None, READ_ALL | {"technician"}),
    ("POST", "/api/v1/requests/r1/status", {"status": "cancelled"}, WRITE),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), MATRIX,
                         ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_role_matrix(api: Api, method: str, path: str, body: object,
                     allowed: set[str]) -> None:
    seed_day(api, n_requests=1)
    api.add_key("technician", "technician", "t1")
    for role in ("admin", "dispatcher", "manager", "technician"):
        api.post("/api/v1/requests", json=service_request("r1"))  # re-create if cancelled
        if path.endswith("/status"):
            api.post("/api/v1/requests/r1/status", json={"status": "new"})
        for cleanup in ("/api/v1/contract-tiers/gold", "/api/v1/technicians/t9",
                        "/api/v1/requests/r9"):
            api.delete(cleanup)
        resp = api.call(method, path, role, json=body)
        if role in allowed:
            assert resp.status_code < 400, (role, resp.get_json())
        else:
            assert_problem(resp, 403)
        if path == "/api/v1/customers" and method == "POST" and resp.status_code == 201:
            # customers cannot be deleted; give each allowed role a fresh id
            body = {"id": f"c-{role}"}


def test_technician_sees_and_moves_only_own_jobs(api: Api) -> None:
    seed_day(api, n_requests=2, n_techs=2)
    api.add_key("tech1", "technician", "t1")
    api.add_key("tech2", "technician", "t2")
    # assign r1 to t1 and r2 to t2 by pinning, then solve and publish
    for rid, tid in (("r1", "t1"), ("r2", "t2")):
        body = api.get(f"/api/v1/requests/{rid}").get_json()
        upd = {k: body[k] for k in ("id", "location", "duration", "windows")}
        upd["pinned_technician"] = tid
        assert api.put(f"/api/v1/requests/{rid}", json=upd).status_code == 200
    from .conftest import wait_plan

    resp = api.post("/api/v1/plans", json=plan_body())
    plan = wait_plan(api, resp.headers["Location"])
    assert plan["status"] == "done", plan
    assert api.post(f"/api/v1/plans/{plan['id']}/publish", json={}).status_code == 200

    mine = api.get("/api/v1/requests", role="tech1").get_json()
    assert [r["id"] for r in mine["items"]] == ["r1"]
    assert api.get("/api/v1/requests/r1", role="tech1").status_code == 200
    assert_problem(api.get("/api/v1/requests/r2", role="tech1"), 403)
    assert_problem(api.post("/api/v1/requests/r2/status", role="tech1",
                            json={"status": "en_route"}), 403)
    ok = api.post("/api/v1/requests/r1/status", role="tech1", json={"status": "en_route"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "en_route"
    # a technician may not cancel, even its own job
    assert_problem(api.post("/api/v1/requests/r1/status", role="tech1",
                            json={"status": "cancelled"}), 403, field="status")
    # nor read plans or other technicians
    assert_problem(api.get("/api/v1/plans", role="tech1"), 403)
    assert_problem(api.get("/api/v1/technicians/t2", role="tech1"), 403)
    assert api.get("/api/v1/technicians/t1", role="tech1").status_code == 200


def test_technician_key_needs_existing_technician(api: Api) -> None:
    assert_problem(api.post("/api/v1/keys", json={"role": "technician"}), 422,
                   field="technician_id")
    assert_problem(api.post("/api/v1/keys", json={"role": "technician",
                                                  "technician_id": "ghost"}), 422,
                   field="technician_id")
    assert_problem(api.post("/api/v1/keys", json={"role": "root"}), 422, field="role")


def test_keys_list_when_each_was_last_used_written_at_most_once_a_minute(api: Api) -> None:
    from datetime import timedelta

    from sqlalchemy import text

    from fieldops.store.keys import LAST_USED_EVERY, key_use_due, note_key_used
    from fieldops.store.models import ApiKey

    fresh = api.post("/api/v1/keys", json={"role": "manager", "name": "fresh"}).get_json()
    listed = {k["id"]: k for k in api.get("/api/v1/keys").get_json()["items"]}
    assert listed[fresh["id"]]["last_used_at"] is None  # never used
    admin = next(k for k in listed.values() if k["role"] == "admin")
    assert admin["last_used_at"] is not None and admin["last_used_at"].endswith("+00:00")
    manager = {"Authorization": f"Bearer {fresh['key']}"}
    assert api.client.get("/api/v1/technicians", headers=manager).status_code == 200
    db = api.app.extensions["fieldops"].db

    def stored() -> object:
        with db.engine.connect() as conn:
            return conn.execute(text("SELECT last_used_at FROM api_keys WHERE id = :i"),
                                {"i": fresh["id"]}).scalar_one()

    first = stored()
    assert first is not None
    for _ in range(3):  # used again within the minute: nothing written
        assert api.client.get("/api/v1/technicians", headers=manager).status_code == 200
    assert stored() == first
    with db.session() as s:
        row = s.get(ApiKey, fresh["id"])
        assert row is not None and row.last_used_at is not None
        half = row.last_used_at + LAST_USED_EVERY / 2
        assert not key_use_due(row.last_used_at, half)
        assert not note_key_used(s, row.id, half)  # a racing worker: no second write
        later = row.last_used_at + LAST_USED_EVERY + timedelta(seconds=1)
        assert key_use_due(row.last_used_at, later)
        assert note_key_used(s, row.id, later)  # a minute on: written again
    with db.session() as s:
        row = s.get(ApiKey, fresh["id"])
        assert row is not None and row.last_used_at == later
        # A worker that read the key before that write cannot move it backwards.
        assert not note_key_used(s, row.id, later - timedelta(seconds=30))


def test_a_failed_last_used_write_does_not_fail_the_request(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from fieldops.api import auth

    def locked(*_: object, **__: object) -> bool:
        raise OperationalError("UPDATE api_keys", {}, Exception("database is locked"))

    monkeypatch.setattr(auth, "note_key_used", locked)
    fresh = api.post("/api/v1/keys", json={"role": "manager"}).get_json()
    answer = api.client.get("/api/v1/technicians",
                            headers={"Authorization": f"Bearer {fresh['key']}"})
    assert answer.status_code == 200  # the use just goes unrecorded
