"""``fieldops serve`` as deployed: gunicorn workers that share nothing, and an
access log without secrets."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from fieldops.cli.api import REDACTED

from .conftest import PgCluster, Server, seed_day

pytestmark = pytest.mark.slow
CLIENTS = 8
REQUESTS_PER_CLIENT = 40


def test_concurrent_clients_on_postgresql_get_no_error(pg_cluster: PgCluster, tmp_path: Path
                                                       ) -> None:
    """Each worker has its own engine (built after the fork): with one made before
    it, workers shared a socket and 5 of 600 requests answered 500 (at once, here)."""
    server = Server(pg_cluster.new_database(), tmp_path, "--workers", "3", "--threads", "4")
    try:
        seed_day(server, n_requests=20, n_techs=2)
        paths = ["/requests", "/technicians", "/shifts", "/requests/r3", "/customers"]

        def client(n: int) -> list[int]:
            with requests.Session() as s:
                s.headers.update(server.session.headers)
                return [s.get(server.base + "/api/v1" + paths[(n + i) % len(paths)],
                              timeout=60).status_code
                        for i in range(REQUESTS_PER_CLIENT)]

        with ThreadPoolExecutor(CLIENTS) as pool:
            statuses = Counter(code for codes in pool.map(client, range(CLIENTS))
                               for code in codes)
        assert statuses == {200: CLIENTS * REQUESTS_PER_CLIENT}, (statuses,
                                                                  server.output()[-3000:])
    finally:
        server.stop()


def test_the_access_log_holds_no_feed_token(tmp_path: Path) -> None:
    server = Server(f"sqlite:///{tmp_path / 'log.sqlite3'}", tmp_path, "--workers", "1")
    try:
        seed_day(server, n_requests=2, n_techs=1)
        issued = server.post("/technicians/t1/feed-token")
        assert issued.status_code == 201, issued.text
        token = issued.json()["token"]
        feed = requests.get(f"{server.base}/calendars/technicians/t1.ics",
                            params={"token": token}, timeout=30)
        assert feed.status_code == 200, feed.text
        deadline = time.monotonic() + 10  # gunicorn writes the line after the answer
        while ".ics" not in server.access_log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = server.access_log.read_text()
        assert "/calendars/technicians/t1.ics?token=" + REDACTED in log
        assert token not in log
    finally:
        server.stop()

