"""The bad-input corpus: every JSON and CSV endpoint fed input no client should send.

The endpoints are read from the app's own OpenAPI document, so a new endpoint is
covered the day it is added. Whatever the input (malformed, truncated, oversized
with and without ``Content-Length``, nested 100 000 deep, control characters,
lone surrogates, the wrong media type), the answer is a 4xx RFC 9457 problem
naming the field (``body`` when the input cannot be parsed at all), and no table
changes: nothing is half-written. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from fieldops.store.models import Base

from .conftest import Api, seed_day, technician

LIMIT = 64 * 1024  # a small MAX_CONTENT_LENGTH keeps the oversized bodies cheap
DEEP = 100_000
CSV = "text/csv"
JSON = "application/json"
#: Path parameters filled with ids that exist after seeding (unknown ones are fine too:
#: the body is judged before the resource is looked up).
PATH_VALUES = {"tech_id": "t1", "shift_id": "s1", "request_id": "r1", "key_id": "1",
               "customer_id": "c1", "name": "gold"}
CSV_HEADER = "id,lat,lon,duration,window_start,window_end\n"
CSV_ROW = "{id},52.5,13.4,PT30M,2026-03-02T08:00:00+01:00,2026-03-02T16:00:00+01:00\n"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"MAX_CONTENT_LENGTH": LIMIT}


@pytest.fixture
def seeded(api: Api) -> Api:
    seed_day(api, n_requests=2)
    assert api.post("/api/v1/customers", json={"id": "c1"}).status_code == 201
    return api


def operations(api: Api, media_type: str) -> list[tuple[str, str]]:
    """``(METHOD, path)`` of every documented operation whose body takes ``media_type``."""
    spec = api.get("/api/v1/openapi.json").get_json()
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and media_type in op.get("requestBody", {}).get(
                    "content", {}):
                url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path)
                out.append((method.upper(), url))
    return out


def table_counts(api: Api) -> dict[str, int]:
    return {t.name: api.count(t.name) for t in Base.metadata.sorted_tables}


def send(api: Api, method: str, url: str, body: bytes, content_type: str, *,
         chunked: bool = False) -> Any:
    """``body`` as is; ``chunked``: streamed without ``Content-Length``, as gunicorn
    hands a chunked upload to the app."""
    headers = {"Content-Type": content_type}
    if chunked:
        return api.call(method, url, headers=headers, input_stream=io.BytesIO(body),
                        environ_overrides={"wsgi.input_terminated": True,
                                           "HTTP_TRANSFER_ENCODING": "chunked"})
    return api.call(method, url, headers=headers, data=body)


def check_corpus(api: Api, media_type: str, corpus: dict[str, tuple[bytes, str | None]],
                 *, chunked: bool = False, content_type: str | None = None,
                 expect: Callable[[int], bool] = lambda status: 400 <= status < 500,
                 only: str | None = None) -> None:
    """Send every corpus entry to every operation taking ``media_type`` (or to the
    one at URL ``only``).

    ``corpus``: name → (body, the field the problem must name, or ``None`` for any).
    """
    ops = [op for op in operations(api, media_type) if only is None or op[1] == only]
    assert ops, f"no operation takes {media_type}"
    before = table_counts(api)
    failures = []
    for method, url in ops:
        for name, (body, field) in corpus.items():
            resp = send(api, method, url, body, content_type or media_type, chunked=chunked)
            problem = resp.get_json(silent=True) or {}
            ok = (expect(resp.status_code) and resp.mimetype == "application/problem+json"
                  and problem.get("status") == resp.status_code and problem.get("field")
                  and (field is None or problem["field"] == field))
            if not ok:
                failures.append(f"{method} {url} [{name}]: {resp.status_code} "
                                f"{resp.get_data(as_text=True)[:200]}")
    assert not failures, "\n".join(failures)
    assert table_counts(api) == before, "a refused request changed the database"


def _oversized_json() -> bytes:
    rows = [technician(f"big{i}") for i in range(LIMIT // 60)]
    body = json.dumps(rows).encode()
    assert len(body) > LIMIT
    return body


def _oversized_csv() -> bytes:
    body = (CSV_HEADER + "".join(CSV_ROW.format(id=f"big{i}")
                                 for i in range(LIMIT // 70 + 10))).encode()
    assert len(body) > LIMIT
    return body


JSON_UNPARSEABLE = {
    "malformed": (b'{"id": "t9", "name": }', "body"),
    "truncated": (json.dumps(technician("t9")).encode()[:-7], "body"),
    "not UTF-8": (b'{"id": "t\xff9"}', "body"),
    "UTF-8 BOM": (b"\xef\xbb\xbf" + json.dumps(technician("t9")).encode(), "body"),
    "bare words": (b"undefined", "body"),
    "NaN literal": (b'{"id": NaN}', None),
    "nested arrays": (b"[" * DEEP + b"]" * DEEP, "body"),
    "nested objects": (b'{"a":' * DEEP + b"1" + b"}" * DEEP, "body"),
    "nested 65 deep": (b"[" * 65 + b"]" * 65, "body"),
    "5 000-digit number": (b'{"id": "t9", "home": {"lat": 1, "lon": ' + b"9" * 5000 + b"}}",
                           "body"),
}

JSON_BAD_STRINGS = {
    "newline id": (json.dumps({**technician("t\n9"), "technician_id": "t\n1"}).encode(), None),
    "NUL everywhere": (b'{"id": "a\\u0000b", "name": "\\u0000", "technician_id": "x\\u0000"}',
                       None),
    "lone surrogate": (b'{"id": "\\ud800", "name": "x\\udfff"}', None),
    "surrogate key": (b'{"\\udc00": 1}', None),
    "escape chars": (json.dumps({"id": "\x1b[31m", "name": "\x07",
                                 "technician_id": "\r"}).encode(), None),
    "slash id": (json.dumps({**technician("a/b"), "technician_id": "a/b"}).encode(), None),
    "huge integer": (json.dumps({**technician("t9"), "home": {
        "lat": 1, "lon": 1, "matrix_index": 2**70}, "level": 2**70}).encode(), None),
}


def test_unparseable_json_is_400_naming_body(seeded: Api) -> None:
    check_corpus(seeded, JSON, JSON_UNPARSEABLE)


def test_bad_strings_are_refused_naming_their_field(seeded: Api) -> None:
    check_corpus(seeded, JSON, JSON_BAD_STRINGS)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_json_is_413_and_nothing_stored(seeded: Api, chunked: bool) -> None:
    check_corpus(seeded, JSON, {"oversized": (_oversized_json(), "body")}, chunked=chunked,
                 expect=lambda status: status == 413)


def test_json_sent_as_text_plain_is_415(seeded: Api) -> None:
    body = json.dumps(technician("t9")).encode()
    check_corpus(seeded, JSON, {"text/plain": (body, "Content-Type")},
                 content_type="text/plain", expect=lambda status: status == 415)


def csv_corpus(header: str, row: str) -> dict[str, tuple[bytes, str | None]]:
    """Broken uploads of one CSV format, from its header and a valid row (``{id}``)."""
    first = row.format(id="x1")
    return {
        "unclosed quote": ((header + '"' + first).encode(), "body"),
        "truncated row": ((header + first.split(",")[0] + "\n").encode(), "body"),
        "not UTF-8": ((header + row.format(id="x\xff")).encode("latin-1"), "body"),
        "surrogate bytes": (header.encode() + row.format(id="x\ud800").encode(
            "utf-8", "surrogatepass"), "body"),
        "NUL cell": ((header + row.format(id="x\x001")).encode(), "id"),
        "newline id": ((header + row.format(id='"x\n1"')).encode(), "id"),
        "slash id": ((header + row.format(id="a/b")).encode(), "id"),
        "unknown column": (b"id,colour\nx1,red\n", "colour"),
        "empty": (b"", None),
        "bad third row": ((header + row.format(id="ok1") + row.format(id="ok2")
                           + row.format(id="bad\x07")).encode(), "id"),
    }


#: Every CSV import with its own format: the corpus is built for each.
CSV_FORMATS = {
    "/api/v1/requests/import": (CSV_HEADER, CSV_ROW),
    "/api/v1/agents/import": ("id,contract,queues,days_off\n",
                              "{id},full,voice:3;chat:2,2026-12-08\n"),
}


def test_every_csv_import_has_a_corpus(seeded: Api) -> None:
    assert {url for _, url in operations(seeded, CSV)} == set(CSV_FORMATS)


@pytest.mark.parametrize("url", sorted(CSV_FORMATS))
def test_bad_csv_is_refused_whole(seeded: Api, url: str) -> None:
    corpus = {k: v for k, v in csv_corpus(*CSV_FORMATS[url]).items() if k != "empty"}
    check_corpus(seeded, CSV, corpus, only=url)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_csv_is_413_and_nothing_stored(seeded: Api, chunked: bool) -> None:
    check_corpus(seeded, CSV, {"oversized": (_oversized_csv(), "body")}, chunked=chunked,
                 expect=lambda status: status == 413)


def test_a_body_at_the_limit_is_read_whole(seeded: Api) -> None:
    """Chunked and under the limit: every row is stored (the body is not cut)."""
    rows = []
    size = len(CSV_HEADER)
    while size + 80 < LIMIT:
        rows.append(CSV_ROW.format(id=f"ok{len(rows)}"))
        size += len(rows[-1])
    body = (CSV_HEADER + "".join(rows)).encode()
    resp = send(seeded, "POST", "/api/v1/requests/import", body, CSV, chunked=True)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["created"] == len(rows)


def _documented(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    spec = api.get("/api/v1/openapi.json").get_json()
    return [(method.upper(), path, op) for path, item in spec["paths"].items()
            for method, op in item.items() if method != "parameters"]


def test_unknown_query_parameters_are_422_naming_them(seeded: Api) -> None:
    failures = []
    for method, path, _ in _documented(seeded):
        if method != "GET":
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path)
        resp = seeded.get(f"{url}?bogus=1")
        body = resp.get_json(silent=True) or {}
        if resp.status_code != 422 or body.get("field") != "bogus":
            failures.append(f"GET {url}?bogus=1: {resp.status_code} {body}")
    assert not failures, "\n".join(failures)


#: Instants whose conversion to UTC overflows Python's datetime (a 500 before).
EDGE_INSTANTS = ["0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59-01:00",
                 "0001-01-01T00:00:00Z"]


def test_out_of_range_list_filters_are_422_naming_them(seeded: Api) -> None:
    failures = []
    for method, path, op in _documented(seeded):
        names = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
        if method != "GET" or not {"from", "to"} <= names:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path)
        for name in ("from", "to"):
            for value in EDGE_INSTANTS:
                resp = seeded.get(f"{url}?{name}={value}")
                body = resp.get_json(silent=True) or {}
                if resp.status_code != 422 or body.get("field") != name:
                    failures.append(f"GET {url}?{name}={value}: {resp.status_code} {body}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("field", "value"), [
    ("duration", "PT99999999999H"), ("duration", "P999999999D"), ("duration", "P40000D"),
    ("created_at", "0001-01-01T00:30:00+01:00"), ("created_at", "9999-12-31T23:00:00-05:00"),
])
def test_durations_and_instants_out_of_range_are_422(seeded: Api, field: str,
                                                      value: str) -> None:
    from .conftest import assert_problem, service_request

    before = seeded.count("service_requests")
    assert_problem(seeded.post("/api/v1/requests", json=service_request("edge", **{field: value})),
                   422, field)
    shift = {"id": "s-edge", "technician_id": "t1", "start": "0001-01-01T00:00:00+01:00",
             "end": "0001-01-01T08:00:00+01:00"}
    assert_problem(seeded.post("/api/v1/shifts", json=shift), 422, "start")
    assert seeded.count("service_requests") == before and seeded.count("shifts") == 1


@pytest.mark.parametrize("bad_id", ["a%00b", "a%0Ab", "%0D", "%ED%A0%80", "..x%09"])
def test_path_ids_that_break_the_id_rule_are_404(seeded: Api, bad_id: str) -> None:
    before = table_counts(seeded)
    failures = []
    for method, path, _ in _documented(seeded):
        if "{" not in path or "{key_id}" in path:
            continue
        url = re.sub(r"\{(\w+)\}", bad_id, path)
        body = b"{}" if method in ("POST", "PUT") else None
        resp = seeded.call(method, url, data=body, headers={"Content-Type": JSON})
        problem = resp.get_json(silent=True) or {}
        if not (400 <= resp.status_code < 500 and resp.mimetype == "application/problem+json"):
            failures.append(f"{method} {url}: {resp.status_code} {problem}")
    assert not failures, "\n".join(failures)
    assert table_counts(seeded) == before


#: Valid ids that need percent-encoding in a URL: each must be reachable once created.
AWKWARD_IDS = ["a?b#c", "50% off", "Müller & Söhne", "..x", "a+b=c", "技師 7"]


@pytest.mark.parametrize("key", AWKWARD_IDS)
def test_an_accepted_id_is_reachable_everywhere(api: Api, key: str) -> None:
    """Created at ``Location``, read, replaced and deleted there (issue 19: ids with
    ``/`` were accepted and then unreachable)."""
    from urllib.parse import quote

    from .conftest import service_request, shift

    bodies = [("technicians", technician(key)), ("shifts", shift(key, key)),
              ("contract-tiers", {"name": key, "response_time": "PT4H"}),
              ("customers", {"id": key, "name": "x"}),
              ("requests", service_request(key, customer_id=key, contract_tier=key,
                                             created_at="2026-03-02T07:00:00+01:00"))]
    for collection, body in bodies:
        resp = api.post(f"/api/v1/{collection}", json=body)
        assert resp.status_code == 201, resp.get_json()
        location = resp.headers["Location"]
        assert location == f"/api/v1/{collection}/{quote(key, safe='')}"
        assert api.get(location).status_code == 200
        assert api.put(location, json=body).status_code == 200
    assert api.post(f"/api/v1/technicians/{quote(key, safe='')}/feed-token").status_code == 201
    listed = api.get("/api/v1/requests", query_string={"customer_id": key}).get_json()
    assert [r["id"] for r in listed["items"]] == [key]
    for collection in ("requests", "shifts", "technicians", "contract-tiers"):
        resp = api.delete(f"/api/v1/{collection}/{quote(key, safe='')}")
        assert resp.status_code == 204, (collection, resp.get_json())


def _chunked_upload(api: Api, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
    """POST ``body`` chunked (no Content-Length) through a real HTTP server on loopback."""
    import http.client
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, api.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        chunks = (body[i:i + 8192] for i in range(0, len(body), 8192))
        conn.request("POST", "/api/v1/requests/import", body=chunks, encode_chunked=True,
                     headers={"Content-Type": content_type, **api.headers("admin")})
        resp = conn.getresponse()
        status, data = resp.status, json.loads(resp.read() or b"{}")
        conn.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
    return status, data


def test_chunked_upload_over_http_is_413_or_whole(seeded: Api) -> None:
    """Over a real server: an oversized chunked CSV stores nothing (it was cut at the
    limit and the rest imported); one under the limit is imported whole."""
    before = seeded.count("service_requests")
    status, problem = _chunked_upload(seeded, _oversized_csv(), CSV)
    assert status == 413 and problem["field"] == "body", problem
    assert seeded.count("service_requests") == before
    body = (CSV_HEADER + "".join(CSV_ROW.format(id=f"ok{i}") for i in range(300))).encode()
    assert len(body) < LIMIT
    status, created = _chunked_upload(seeded, body, CSV)
    assert status == 201 and created["created"] == 300, created


def test_every_media_type_the_import_reads_is_documented_and_accepted(seeded: Api) -> None:
    body = (CSV_HEADER + CSV_ROW.format(id="csv1")).encode()
    for media_type in ("text/csv", "application/csv", "text/csv; charset=utf-8"):
        resp = send(seeded, "POST", "/api/v1/requests/import", body, media_type)
        assert resp.status_code in (201, 409), (media_type, resp.get_json())
    assert seeded.count("service_requests") == 3
