"""``fieldops db upgrade``, ``keys create`` and ``serve`` (a real gunicorn)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from fieldops.cli import main

from .conftest import make_app


def test_db_upgrade_and_keys_create(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    from alembic.script import ScriptDirectory

    from fieldops.store.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert main(["db", "upgrade", "--database-url", url]) == 0
    assert f"database at revision {head}\n" == capsys.readouterr().out
    assert main(["keys", "create", "--role", "dispatcher", "--database-url", url]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("fo_")
    app = make_app(url)
    client = app.test_client()
    assert client.get("/api/v1/technicians",
                      headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert client.get("/api/v1/keys",
                      headers={"Authorization": f"Bearer {key}"}).status_code == 403
    app.extensions["fieldops"].db.dispose()
    # a technician key needs a technician: exit status 2 and a message naming the field
    assert main(["keys", "create", "--role", "technician", "--database-url", url]) == 2
    assert "technician_id" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


FIELDOPS = [sys.executable, "-m", "fieldops.cli"]  # what the `fieldops` script runs
SERVER_START_SECONDS = 60


@contextmanager
def serving(tmp_path: Path, env: dict[str, str], cwd: Path | None = None) -> Iterator[str]:
    """A real ``fieldops serve`` (one gunicorn worker) on a free loopback port; its base URL."""
    port = _free_port()
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [*FIELDOPS, "serve", "--port", str(port), "--workers", "1"],
        env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                requests.get(f"{base}/api/v1/openapi.json", timeout=2)
                break
            # Not listening yet, or (a busy machine) slow to build its first answer.
            except (requests.ConnectionError, requests.Timeout):
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


def test_serve_runs_gunicorn(tmp_path: Path) -> None:
    env = {**os.environ, "FIELDOPS_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}"}
    env.pop("FIELDOPS_BROKER_URL", None)
    with serving(tmp_path, env) as base:
        resp = requests.get(f"{base}/api/v1/openapi.json", timeout=5)
        assert resp.status_code == 200 and resp.json()["openapi"].startswith("3.")
        unauth = requests.get(f"{base}/api/v1/plans", timeout=5)
        assert unauth.status_code == 401
        assert unauth.headers["Content-Type"] == "application/problem+json"
        assert "gunicorn" in (tmp_path / "serve.log").read_text().lower()


def test_a_key_made_by_keys_create_opens_the_api_served_by_serve(tmp_path: Path) -> None:
    # The README's walkthrough: no database option, no FIELDOPS_* variables, both
    # commands run from the same directory. Both must find the same database.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDOPS_")}
    work = tmp_path / "checkout"
    work.mkdir()
    made = subprocess.run([*FIELDOPS, "keys", "create", "--role", "admin"], env=env, cwd=work,
                          capture_output=True, text=True, check=True)
    key = made.stdout.strip()
    assert key.startswith("fo_")
    assert (work / "instance" / "fieldops.sqlite3").exists()
    with serving(tmp_path, env, cwd=work) as base:
        url = f"{base}/api/v1/technicians"
        auth = {"Authorization": f"Bearer {key}"}
        assert requests.get(url, headers=auth, timeout=5).status_code == 200
        assert requests.get(url, timeout=5).status_code == 401

