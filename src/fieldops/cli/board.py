"""``fieldops demo --serve``: the demo day, loaded and published, with its board.

The bundled sample day is moved to tomorrow (in its own time zone, so the board
shows a day that has not happened yet and every action works), loaded through the
API into a fresh SQLite file in the output folder, solved and published there; then
``fieldops serve`` runs on that file and the board's address and a dispatcher key
are printed.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

#: The board demo's database, inside ``--output-dir`` (replaced on every run).
DB_FILE = "board-demo.sqlite3"
#: Polls of the demo plan's solve (one a second) before giving up.
SOLVE_POLLS = 600


class DemoError(RuntimeError):
    """A step of the board demo was refused (the message is the API's answer)."""


def _check(resp: Any, *codes: int) -> Any:
    if resp.status_code not in codes:
        raise DemoError(f"{resp.request.method} {resp.request.path}: {resp.status_code} "
                        f"{resp.get_data(as_text=True)[:500]}")
    return resp.get_json()


def _solve_and_publish(client: Any, headers: dict[str, str], day: dict[str, Any],
                       time_limit: float) -> dict[str, Any]:
    api = "/api/v1"
    plan = _check(client.post(f"{api}/plans", headers=headers, json={
        "timezone": day["timezone"], "horizon": day["horizon"], "name": day.get("name"),
        "params": {"time_limit": time_limit}}), 202)
    for _ in range(SOLVE_POLLS):
        if plan["status"] not in ("queued", "solving"):
            break
        time.sleep(1)
        plan = _check(client.get(f"{api}/plans/{plan['id']}", headers=headers), 200)
    if plan["status"] != "done":
        raise DemoError(f"the demo plan ended {plan['status']}: {plan.get('error')}")
    _check(client.post(f"{api}/plans/{plan['id']}/publish", headers=headers,
                       json={"dispatch": True}), 200)
    return plan


def load_demo_day(app: Any, day: dict[str, Any], time_limit: float) -> dict[str, Any]:
    """Post ``day`` (problem JSON) through ``app``'s API, solve and publish it."""
    from fieldops.store.keys import create_api_key

    with app.extensions["fieldops"].db.session() as s:
        _, admin = create_api_key(s, "admin", name="board demo loader")
    headers = {"Authorization": f"Bearer {admin}"}
    client = app.test_client()
    api = "/api/v1"
    for tier in day.get("contract_tiers", []):
        _check(client.post(f"{api}/contract-tiers", headers=headers, json=tier), 201)
    for tech in day["technicians"]:
        _check(client.post(f"{api}/technicians", headers=headers, json=tech), 201)
    for shift in day["shifts"]:
        _check(client.post(f"{api}/shifts", headers=headers, json=shift), 201)
    _check(client.post(f"{api}/requests/import", headers=headers, json=day["requests"]), 201)
    return _solve_and_publish(client, headers, day, time_limit)


def run_board_demo(out: Path, args: argparse.Namespace) -> int:
    """Load, solve and publish the demo day in ``out``, print the board, serve it."""
    from fieldops.api import create_app
    from fieldops.data.sample import demo_day_json_on
    from fieldops.store.keys import create_api_key

    console = Console()
    zone = ZoneInfo(demo_day_json_on(datetime.now(UTC).date())["timezone"])
    when = datetime.now(zone).date() + timedelta(days=1)
    day = demo_day_json_on(when)
    db_path = out / DB_FILE
    db_path.unlink(missing_ok=True)
    url = f"sqlite:///{db_path.resolve()}"
    console.print(f"[bold]fieldops demo --serve[/bold]: the sample day moved to {when}, "
                  f"solving {args.time_limit:g} s into {db_path}")
    app = create_app({"DATABASE_URL": url, "WORKER_MODE": "thread", "REAPER": False})
    try:
        plan = load_demo_day(app, day, args.time_limit)
        with app.extensions["fieldops"].db.session() as s:
            _, key = create_api_key(s, "dispatcher", name="board demo")
    finally:
        app.extensions["fieldops"].backend.shutdown(wait=True)
        app.extensions["fieldops"].db.dispose()
    console.print(f"published plan {plan['id']}: {plan['progress']['assigned']} jobs assigned")
    board = f"http://{args.host}:{args.port}/board/{when.isoformat()}"
    console.print(f"[bold green]board:[/bold green] {board}", soft_wrap=True)
    console.print("sign in with this dispatcher key (shown once):")
    console.print(key, soft_wrap=True, highlight=False)
    return _serve(url, args.host, args.port)


def _serve(url: str, host: str, port: int) -> int:
    """``fieldops serve`` on the demo database, through that command's own parser."""
    from fieldops.cli import api as api_cli

    parser = argparse.ArgumentParser(prog="fieldops")
    api_cli.register(parser.add_subparsers())
    args = parser.parse_args(["serve", "--database-url", url, "--host", host,
                              "--port", str(port)])
    return int(args.func(args))
