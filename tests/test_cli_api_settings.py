"""Settings of ``fieldops serve`` / ``create_app``: environment variables and flags,
and the access-log redaction of feed tokens."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from fieldops.api import ENV_SETTINGS, create_app, settings_from_env
from fieldops.cli.api import REDACTED, _app_settings, redact, register


def _serve_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["serve", *argv])


def test_every_setting_is_read_from_its_environment_variable() -> None:
    env = {"FIELDOPS_WORKER_COUNT": "3", "FIELDOPS_LEASE_SECONDS": "7.5",
           "FIELDOPS_IMPORT_MAX_ROWS": "500", "FIELDOPS_MAX_SOLVE_SECONDS": "90",
           "FIELDOPS_MAX_CONTENT_LENGTH": "1024", "FIELDOPS_WORKER_MODE": "thread",
           "FIELDOPS_REAPER": "false", "FIELDOPS_CELERY_QUEUE": "q1",
           "FIELDOPS_SLOT_GRID": "PT1H", "FIELDOPS_TIMEZONE": "Europe/Paris",
           "FIELDOPS_TILE_URL": "https://tiles.example/{z}/{x}/{y}.png",
           "FIELDOPS_TILE_ATTRIBUTION": "© tiles", "FIELDOPS_BOARD_POLL_SECONDS": "2.5",
           "FIELDOPS_TRACK_RATE_LIMIT": "20", "FIELDOPS_TRACK_RATE_PERIOD": "30"}
    assert settings_from_env(env) == {
        "WORKER_COUNT": 3, "LEASE_SECONDS": 7.5, "IMPORT_MAX_ROWS": 500,
        "MAX_SOLVE_SECONDS": 90.0, "MAX_CONTENT_LENGTH": 1024, "WORKER_MODE": "thread",
        "REAPER": False, "CELERY_QUEUE": "q1", "SLOT_GRID": "PT1H",
        "TIMEZONE": "Europe/Paris",
        "TILE_URL": "https://tiles.example/{z}/{x}/{y}.png", "TILE_ATTRIBUTION": "© tiles",
        "BOARD_POLL_SECONDS": 2.5,
        "TRACK_RATE_LIMIT": 20, "TRACK_RATE_PERIOD": 30.0}
    assert set(ENV_SETTINGS) == {key.removeprefix("FIELDOPS_") for key in env}


@pytest.mark.parametrize("name,value", [("FIELDOPS_WORKER_COUNT", "many"),
                                        ("FIELDOPS_LEASE_SECONDS", "-1"),
                                        ("FIELDOPS_WORKER_MODE", "fork"),
                                        ("FIELDOPS_REAPER", "maybe"),
                                        ("FIELDOPS_SLOT_GRID", "PT7M"),
                                        ("FIELDOPS_TIMEZONE", "Mars/Olympus"),
                                        ("FIELDOPS_TILE_URL", "tiles.example"),
                                        ("FIELDOPS_BOARD_POLL_SECONDS", "0"),
                                        ("FIELDOPS_TRACK_RATE_LIMIT", "0")])
def test_a_bad_variable_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        settings_from_env({name: value})


def test_the_app_takes_the_environment_and_the_flags_beat_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIELDOPS_IMPORT_MAX_ROWS", "123")
    monkeypatch.setenv("FIELDOPS_LEASE_SECONDS", "9")
    monkeypatch.setenv("FIELDOPS_REAPER", "0")
    flags = _app_settings(_serve_args("--lease-seconds", "4", "--solve-workers", "5",
                                      "--max-solve-seconds", "30"))
    assert flags == {"LEASE_SECONDS": 4.0, "WORKER_COUNT": 5, "MAX_SOLVE_SECONDS": 30.0}
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", **flags})
    state = app.extensions["fieldops"]
    try:
        assert state.import_max_rows == 123
        assert state.lease_seconds == 4.0
        assert state.max_solve_seconds == 30.0
        assert "fieldops_reaper" not in app.extensions
    finally:
        state.db.dispose()


def test_serve_stops_on_a_bad_variable_naming_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fieldops.cli", "serve", "--database-url",
         f"sqlite:///{tmp_path / 'x.db'}"],
        env={"PATH": "/usr/bin:/bin", "FIELDOPS_MAX_SOLVE_SECONDS": "soon"},
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "FIELDOPS_MAX_SOLVE_SECONDS" in done.stderr


def test_redact_hides_token_values_only() -> None:
    line = '127.0.0.1 "GET /calendars/technicians/t1.ics?token=abc.DEF-1&x=2 HTTP/1.1" 200'
    assert redact(line) == (f'127.0.0.1 "GET /calendars/technicians/t1.ics?token={REDACTED}'
                            '&x=2 HTTP/1.1" 200')
    assert redact("token=abc") == f"token={REDACTED}"
    assert redact("/api/v1/technicians/t1/feed-token") == "/api/v1/technicians/t1/feed-token"
    # The customer's tracking link carries its token in the path.
    assert redact('"POST /track/fot_a-b_c/rating HTTP/1.1" 201') == (
        f'"POST /track/{REDACTED}/rating HTTP/1.1" 201')
    assert redact("GET /track/fot_x?y=1") == f"GET /track/{REDACTED}?y=1"
