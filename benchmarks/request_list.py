"""CPU of one ``GET /requests`` page, in-process: the list's own cost, no HTTP.

Builds the app (Flask test client) on a new SQLite file or a fresh PostgreSQL
schema, imports the bundled 250-request demo day, warms up, then times ``--gets``
GETs of the default page (50 rows) and reports the median CPU and wall time per GET
(CPU of this process, which runs the app: the machine's other load does not count).
Works on older commits too (it needs only the public API), so the same command
measures a pair: run it from an export of the other commit with ``PYTHONPATH``.

    python -m benchmarks.request_list
    python -m benchmarks.request_list \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --fresh-schema

Prints a table and writes ``benchmarks/results/request_list-<database>.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.api_load import RESULTS, _machine, drop_schema, fresh_schema
from fieldops.data.sample import DEMO_RESOURCE

WARM_UP_GETS = 20


def _seeded_client(url: str) -> tuple[Any, Any, dict[str, str]]:
    """The app, its test client and an admin key's headers, the demo day imported."""
    from fieldops.api import create_app
    from fieldops.store.keys import create_api_key

    app = create_app({"DATABASE_URL": url, "WORKER_MODE": "thread", "TESTING": True})
    with app.extensions["fieldops"].db.session() as s:
        _, key = create_api_key(s, "admin", None)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    day = json.loads(resources.files("fieldops.data").joinpath(DEMO_RESOURCE).read_text())
    for tier in day["contract_tiers"]:
        client.post("/api/v1/contract-tiers", json=tier, headers=headers)
    for tech in day["technicians"]:
        client.post("/api/v1/technicians", json=tech, headers=headers)
    answer = client.post("/api/v1/requests/import", json=day["requests"], headers=headers)
    if answer.status_code != 201:
        raise RuntimeError(f"import: {answer.status_code} {answer.get_data(as_text=True)}")
    return app, client, headers


def measure(url: str, gets: int) -> dict[str, Any]:
    """Median CPU and wall milliseconds per GET of the default page."""
    app, client, headers = _seeded_client(url)
    try:
        first = client.get("/api/v1/requests", headers=headers)
        if first.status_code != 200:
            raise RuntimeError(f"GET /requests: {first.status_code}")
        for _ in range(WARM_UP_GETS):
            client.get("/api/v1/requests", headers=headers)
        cpu, wall = [], []
        for _ in range(gets):
            c0, w0 = time.process_time(), time.perf_counter()
            client.get("/api/v1/requests", headers=headers)
            cpu.append(1000 * (time.process_time() - c0))
            wall.append(1000 * (time.perf_counter() - w0))
        return {"gets": gets, "rows": len(first.get_json()["items"]),
                "total": first.get_json()["total"], "bytes": len(first.get_data()),
                "cpu_ms_median": statistics.median(cpu),
                "wall_ms_median": statistics.median(wall)}
    finally:
        app.extensions["fieldops"].backend.shutdown(wait=True)
        app.extensions["fieldops"].db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--fresh-schema", action="store_true",
                        help="PostgreSQL: run in a new schema, dropped afterwards")
    parser.add_argument("--gets", type=int, default=200)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="fieldops-list-"))
    url, schema = args.database_url or f"sqlite:///{tmp / 'list.sqlite3'}", None
    if args.fresh_schema:
        schema, url = fresh_schema(url)
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    try:
        result = measure(url, args.gets)
    finally:
        if schema is not None and args.database_url:
            drop_schema(args.database_url, schema)
    table = Table(title=f"GET /requests in-process ({kind})")
    for col in ("rows", "total", "bytes", "GETs", "CPU ms (median)", "wall ms (median)"):
        table.add_column(col, justify="right")
    table.add_row(str(result["rows"]), str(result["total"]), str(result["bytes"]),
                  str(result["gets"]), f"{result['cpu_ms_median']:.2f}",
                  f"{result['wall_ms_median']:.2f}")
    Console(width=120).print(table)
    out = args.output or RESULTS / f"request_list-{kind}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"suite": "request_list", "machine": _machine(),
                               "database": kind, "result": result}, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
