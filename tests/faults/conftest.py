"""Harness of the fault tests: a throw-away PostgreSQL cluster, real ``fieldops
serve`` (gunicorn) and a real ``fieldops worker`` (Celery), all on loopback.

The cluster is made by ``initdb`` in a temporary directory and run by ``pg_ctl`` on
a free port, so restarting or stopping it disturbs nobody else. PostgreSQL refuses
to run as root: as root, the cluster is run as the ``postgres`` user (``runuser``).
Nothing here is skipped when a tool is missing: the tests fail and say what is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, text

from fieldops.store.db import Database
from fieldops.store.keys import create_api_key

PG_BIN = Path(os.environ.get("FIELDOPS_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
BROKER_URL = os.environ.get("FIELDOPS_TEST_BROKER_URL")
#: Lease of the solves in these tests: short, so a dead solve is reaped quickly.
LEASE_SECONDS = 3.0
API = "/api/v1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_pg(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class PgCluster:
    """A PostgreSQL cluster of our own in a temporary directory."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            pytest.fail(f"the fault tests need PostgreSQL's initdb in {PG_BIN} "
                        "(set FIELDOPS_TEST_PG_BIN)")
        self.root = Path(tempfile.mkdtemp(prefix="fieldops-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o700)
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                   "postgres", "--no-sync"])
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.root}'\nfsync = off\n"
                       "max_connections = 200\n")
        self.start()

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(_as_pg(argv), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.fail(f"{argv[0]} failed:\n{done.stdout}\n{done.stderr}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                   str(self.root / "server.log"), "-w", "-t", "60", "start"])

    def stop(self) -> None:
        """Stop now (``-m fast``: open connections are cut, as in a crash or failover)."""
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(BaseException):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


def children_of(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command may hold spaces and parentheses: fields follow the last ')'.
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (zombies count as gone)."""
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


def _env(db_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "FIELDOPS_DATABASE_URL": db_url, "FIELDOPS_LEASE_SECONDS":
           str(LEASE_SECONDS), "PYTHONUNBUFFERED": "1"}
    env.pop("FIELDOPS_BROKER_URL", None)
    env.update(extra)
    return env


class Server:
    """``fieldops serve`` in its own process group, with its access log in a file."""

    def __init__(self, db_url: str, tmp: Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = tmp / f"access-{self.port}.log"
        self.log = tmp / f"serve-{self.port}.log"
        self.db_url = db_url
        self._out = self.log.open("wb")
        self.env = _env(db_url, **env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fieldops.cli", "serve", "--port", str(self.port),
             "--access-log", str(self.access_log), *args],
            env=self.env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True)
        self.session = requests.Session()
        self._wait_ready()
        # After the server migrated the database (two migrations at once would race).
        self.key = self._admin_key()
        self.session.headers["Authorization"] = f"Bearer {self.key}"

    def _admin_key(self) -> str:
        # In this process (the server has migrated the database): a `fieldops keys
        # create` subprocess would cost seconds of imports on a busy machine.
        db = Database(self.db_url)
        try:
            with db.session() as s:
                return create_api_key(s, "admin", None, "faults")[1]
        finally:
            db.dispose()

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(requests.ConnectionError):
                if self.get("/openapi.json").status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError("fieldops serve did not start:\n" + self.output())

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", 60)
        return self.session.request(method, self.base + API + path, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._out.close()
        self.session.close()


class Worker:
    """``fieldops worker`` (Celery, solo pool) on the test broker and its own queue."""

    def __init__(self, db_url: str, tmp: Path, queue: str) -> None:
        self.log = tmp / f"worker-{queue}.log"
        self._out = self.log.open("wb")
        env = _env(db_url, FIELDOPS_BROKER_URL=BROKER_URL or "", FIELDOPS_CELERY_QUEUE=queue)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fieldops.cli", "worker", "--pool", "solo", "--queue", queue,
             "--hostname", f"{queue}@faults"],
            env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while b"ready." not in self.log.read_bytes():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("celery worker did not start:\n"
                                     + self.log.read_text(errors="replace"))
            time.sleep(0.2)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self._out.close()


def broker() -> str:
    if not BROKER_URL:  # as tests/api/test_celery.py: reported by -ra, CI sets it
        pytest.skip("FIELDOPS_TEST_BROKER_URL is not set: no Redis broker for a real Celery "
                    "worker")
    import redis

    try:
        redis.Redis.from_url(BROKER_URL).ping()
    except Exception as exc:
        pytest.fail(f"FIELDOPS_TEST_BROKER_URL={BROKER_URL} is unreachable: {exc}")
    return BROKER_URL


def forget_queue(queue: str) -> None:
    import redis

    r = redis.Redis.from_url(BROKER_URL or "")
    r.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


# ---------------------------------------------------------------- sample data
DAY = "2026-03-02"
TZ = "Europe/Berlin"


def seed_day(server: Server, n_requests: int, n_techs: int) -> None:
    """Technicians with a shift each and ``n_requests`` requests near Berlin."""
    for i in range(1, n_techs + 1):
        tech = {"id": f"t{i}", "name": f"Tech {i}", "home": {"lat": 52.52, "lon": 13.40}}
        assert server.post("/technicians", json=tech).status_code == 201
        sh = {"id": f"s{i}", "technician_id": f"t{i}", "start": f"{DAY}T08:00:00+01:00",
              "end": f"{DAY}T17:00:00+01:00"}
        assert server.post("/shifts", json=sh).status_code == 201
    rows = [request_json(f"r{i}", lat=52.50 + i / 200, lon=13.38 + i / 300)
            for i in range(1, n_requests + 1)]
    assert server.post("/requests/import", json=rows).status_code == 201


def request_json(rid: str, lat: float = 52.53, lon: float = 13.41, **extra: Any
                 ) -> dict[str, Any]:
    body = {"id": rid, "location": {"lat": lat, "lon": lon}, "duration": "PT30M",
            "windows": [{"start": f"{DAY}T08:00:00+01:00", "end": f"{DAY}T16:00:00+01:00"}]}
    body.update(extra)
    return body


def plan_body(time_limit: float) -> dict[str, Any]:
    """A plan of the seeded day solved for ``time_limit`` seconds."""
    return {"timezone": TZ, "params": {"time_limit": time_limit},
            "horizon": {"start": f"{DAY}T00:00:00+01:00", "end": "2026-03-03T00:00:00+01:00"}}


def plan_status(db_url: str, plan_id: str) -> str:
    """The plan's status straight from its row (no API read, so no reap-on-read)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT status FROM plans WHERE id = :id"),
                                    {"id": plan_id}).scalar_one())
    finally:
        engine.dispose()


def wait_for(predicate: Any, timeout: float, what: str, step: float = 0.2) -> float:
    """Seconds until ``predicate()`` held; AssertionError naming ``what`` after ``timeout``."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} not within {timeout} s")
        time.sleep(step)
    return time.monotonic() - started
