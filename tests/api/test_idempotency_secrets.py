"""Idempotency-Key on answers holding a secret: the secret is never stored, a retry
gets the same status and ids with the secret blanked and a ``detail`` saying why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from .conftest import Api, technician
from .roster_fixtures import drain_rosters, roster_problem, solved


def _stored(api: Api) -> str:
    """Every stored idempotency record, every column, as one string."""
    with api.app.extensions["fieldops"].db.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM idempotency_keys")).all()
    assert rows, "the first answer was not recorded"
    return repr([tuple(r) for r in rows])


def _post_twice(api: Api, path: str, role: str = "admin",
                body: dict[str, Any] | None = None) -> tuple[Any, Any]:
    h = {"Idempotency-Key": f"once-{path}"}
    first = api.post(path, role=role, json=body, headers=h)
    assert first.status_code == 201, first.get_json()
    again = api.post(path, role=role, json=body, headers=h)
    assert again.headers["Idempotent-Replayed"] == "true"
    return first, again


def _assert_replay_hides(first: Any, again: Any, fields: tuple[str, ...]) -> None:
    assert again.status_code == first.status_code
    replay, original = again.get_json(), first.get_json()
    for name in fields:
        assert replay[name] is None
    assert "shown only once" in replay["detail"]
    rest = {k: v for k, v in original.items() if k not in fields}
    assert {k: replay[k] for k in rest} == rest


def test_api_key_secret_is_not_stored_for_replay(api: Api) -> None:
    first, again = _post_twice(api, "/api/v1/keys", body={"role": "dispatcher"})
    secret = first.get_json()["key"]
    assert secret and secret not in _stored(api)
    assert secret[len("fo_"):] not in _stored(api)
    _assert_replay_hides(first, again, ("key",))
    assert api.count("api_keys") == 4  # the three fixtures' keys and this one, once
    # The key shown once still works.
    ok = api.client.get("/api/v1/technicians", headers={"Authorization": f"Bearer {secret}"})
    assert ok.status_code == 200


def test_technician_feed_token_is_not_stored_for_replay(api: Api) -> None:
    assert api.post("/api/v1/technicians", json=technician("t1")).status_code == 201
    api.add_key("tech1", "technician", "t1")
    first, again = _post_twice(api, "/api/v1/technicians/t1/feed-token", role="tech1")
    token = first.get_json()["token"]
    assert token and token not in _stored(api)
    _assert_replay_hides(first, again, ("token", "url"))
    assert api.client.get(f"/calendars/technicians/t1.ics?token={token}").status_code == 200


def test_agent_feed_token_is_not_stored_for_replay(api: Api) -> None:
    solved(api, roster_problem(days=1))
    try:
        first, again = _post_twice(api, "/api/v1/agents/a1/feed-token", role="manager")
        token = first.get_json()["token"]
        assert token and token not in _stored(api)
        _assert_replay_hides(first, again, ("token", "url"))
    finally:
        drain_rosters(api)


def test_answers_without_secrets_are_replayed_whole(api: Api) -> None:
    first, again = _post_twice(api, "/api/v1/technicians", body=technician("t9"))
    assert again.get_json() == first.get_json()
    assert "detail" not in again.get_json()


SECRET_NAMES = {"key", "token", "secret", "password"}


def _properties(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return set(schema.get("properties", {}))


def test_every_post_answering_a_secret_is_marked(api: Api) -> None:
    """An endpoint added later that answers a secret cannot forget the redaction."""
    spec = api.client.get("/api/v1/openapi.json").get_json()
    flask_path = {rule.rule: rule.endpoint for rule in api.app.url_map.iter_rules()
                  if "POST" in (rule.methods or ())}
    marked = set()
    for path, ops in spec["paths"].items():
        post = ops.get("post")
        if post is None:
            continue
        answered: set[str] = set()
        for resp in post["responses"].values():
            for media in resp.get("content", {}).values():
                answered |= _properties(spec, media.get("schema", {}))
        secrets = answered & SECRET_NAMES
        if not secrets:
            continue
        rule = "/".join(f"<{seg[1:-1]}>" if seg.startswith("{") else seg
                        for seg in path.split("/"))
        endpoint = next(e for r, e in flask_path.items()
                        if r.replace("string:", "").replace("int:", "") == rule)
        fields = getattr(api.app.view_functions[endpoint], "secret_fields", ())
        assert secrets <= set(fields), f"POST {path} answers {secrets} but is not shows_secret"
        marked.add(path)
    assert marked == {"/api/v1/keys", "/api/v1/technicians/{tech_id}/feed-token",
                      "/api/v1/agents/{agent_id}/feed-token",
                      "/api/v1/requests/{request_id}/tracking-link"}


def test_the_replay_shape_is_documented(api: Api) -> None:
    spec = api.client.get("/api/v1/openapi.json").get_json()
    for name, secrets in (("KeyOut", ("key",)), ("FeedTokenIssued", ("token", "url")),
                          ("AgentFeedTokenIssued", ("token", "url")),
                          ("TrackingLinkIssued", ("token", "url"))):
        props = spec["components"]["schemas"][name]["properties"]
        assert "replay" in props["detail"]["description"], name
        for field in secrets:
            assert props[field]["nullable"] is True, (name, field)
