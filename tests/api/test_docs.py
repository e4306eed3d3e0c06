"""The shell walkthroughs of the README and docs run as written.

Each marked ``sh`` block is run by bash, unchanged, in a fresh empty directory with
the virtualenv's ``bin`` first on ``PATH``: the block itself creates the database,
the API key, starts ``fieldops serve`` (on ``$PORT``, which the docs default to 8000
and this test points at a free loopback port) and talks to it with curl and jq. The
test then kills everything the block started and checks what it printed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "api.md"
LIVE_DOC = ROOT / "docs" / "live-day.md"
VENV_BIN = Path(sys.executable).parent
#: Bounds the whole session (server start, a 2-second solve, a 2-second roster).
WALKTHROUGH_TIMEOUT = 240
#: Tools the walkthroughs call besides the venv's ``fieldops``.
TOOLS = ("bash", "curl", "jq")
#: ``<!-- [name ]walkthrough|example ... -->`` then a fenced block: (marker, language, body).
MARKER = re.compile(
    r"<!--\s*((?:[\w-]+[ -])?(?:walkthrough|example))\b[^>]*-->\s*```(\w+)\n(.*?)```", re.S)


def marked_blocks(path: Path) -> dict[str, str]:
    """``{marker: body}`` of every ``<!-- ...walkthrough/example... -->`` sh block."""
    text = path.read_text(encoding="utf-8")
    return {m.group(1): m.group(3) for m in MARKER.finditer(text) if m.group(2) in ("sh", "bash")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Session:
    stdout: str
    stderr: str
    returncode: int

    @property
    def log(self) -> str:
        """Both streams (gunicorn's access log goes to stdout, its errors to stderr)."""
        return self.stdout + self.stderr

    def documents(self) -> list[Any]:
        """Every JSON document the session printed, in order (other lines skipped)."""
        decoder, out, text, pos = json.JSONDecoder(), [], self.stdout, 0
        while pos < len(text):
            if text[pos] in "{[":
                try:
                    doc, pos = decoder.raw_decode(text, pos)
                except json.JSONDecodeError:
                    pos += 1
                else:
                    out.append(doc)
            else:
                pos += 1
        return out

    def problems(self) -> list[Any]:
        """Printed documents that are RFC 9457 errors (an integer ``status``)."""
        return [d for d in self.documents()
                if isinstance(d, dict) and isinstance(d.get("status"), int)]


def run_shell(script: str, cwd: Path) -> Session:
    """Run ``script`` with bash in its own process group; kill the group afterwards."""
    for tool in TOOLS:
        assert shutil.which(tool), f"the walkthroughs need {tool!r} on PATH"
    assert (VENV_BIN / "fieldops").exists(), f"no fieldops script in {VENV_BIN}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FIELDOPS_")}  # the documented defaults: SQLite in cwd
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PORT"] = str(free_port())
    out, err = cwd / "stdout.txt", cwd / "stderr.txt"
    (cwd / "session").mkdir()
    with out.open("w") as fout, err.open("w") as ferr:
        proc = subprocess.Popen(["bash", "-c", script], cwd=cwd / "session", env=env,
                                stdout=fout, stderr=ferr, start_new_session=True)
        try:
            proc.wait(timeout=WALKTHROUGH_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        finally:
            _kill_group(proc)
    return Session(out.read_text(), err.read_text(), proc.returncode)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the block's background server (and its gunicorn workers) by process group."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
    proc.poll()


def _show(session: Session) -> str:
    return f"exit {session.returncode}\n--- stdout\n{session.stdout}\n--- stderr\n" \
           f"{session.stderr[-4000:]}"


def test_every_marked_shell_block_is_run_here() -> None:
    """A new walkthrough in the README or docs must be added to the tests below."""
    found = {(path.relative_to(ROOT).as_posix(), marker)
             for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
             for marker in marked_blocks(path)}
    assert found == {("README.md", "walkthrough"), ("docs/api.md", "walkthrough"),
                     ("docs/api.md", "roster walkthrough"),
                     ("docs/live-day.md", "live walkthrough"),
                     ("docs/board.md", "board walkthrough"),
                     ("docs/customers.md", "booking walkthrough"),
                     ("docs/workforce.md", "intraday walkthrough")}


def test_readme_walkthrough_is_the_docs_one() -> None:
    assert marked_blocks(ROOT / "README.md")["walkthrough"] == \
        marked_blocks(DOC)["walkthrough"]


def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """docs/api.md (= the README's session): empty directory to a published plan."""
    session = run_shell(marked_blocks(DOC)["walkthrough"], tmp_path)
    assert session.returncode == 0, _show(session)
    assert session.problems() == [], _show(session)
    assert re.search(r"^plan \S+: done$", session.stdout, re.M), _show(session)
    docs = session.documents()
    assert docs[0]["id"] == "ann", _show(session)  # POST /technicians
    track = docs[-1]  # the last line: boiler-1's tracking
    assert track["status"] == "dispatched" and track["technician_id"] == "ann", _show(session)
    assert track["eta"] is not None
    # The server the block started answered: gunicorn's access log names the publish.
    assert re.search(r'"POST /api/v1/plans/\S+/publish HTTP/1.1" 200', session.log), \
        _show(session)


def test_roster_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """The roster block, in the shell the walkthrough it points to left behind."""
    blocks = marked_blocks(DOC)
    session = run_shell(blocks["walkthrough"] + blocks["roster walkthrough"], tmp_path)
    assert session.returncode == 0, _show(session)
    assert session.problems() == [], _show(session)
    assert re.search(r"^roster \S+: done$", session.stdout, re.M), _show(session)
    assert re.search(r'"POST /api/v1/rosters/\S+/publish HTTP/1.1" 200', session.log), \
        _show(session)
    feed = session.stdout[session.stdout.index("BEGIN:VCALENDAR"):]
    assert "END:VCALENDAR" in feed
    assert "roster-shift-ana-" in feed, _show(session)


def test_booking_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """docs/customers.md: offer, hold, book, tracking page, done, rating."""
    session = run_shell(marked_blocks(ROOT / "docs" / "customers.md")["booking walkthrough"],
                        tmp_path)
    assert session.returncode == 0, _show(session)
    assert session.problems() == [], _show(session)
    docs = session.documents()
    booking = next(d for d in docs if isinstance(d, dict) and d.get("status") == "booked")
    assert booking["request_id"] == "boiler-1" and booking["technician_id"] == "ann"
    page = next(d for d in docs if isinstance(d, dict) and "status_text" in d)
    assert page["status"] == "scheduled", _show(session)
    assert page["technician"] == {"first_name": "Ann"}
    assert page["appointment"] == {"start": booking["start"], "end": booking["end"]}
    assert page["eta"] >= booking["start"]
    assert page["prepare"] == ["Clear the way to the boiler", "Keep pets in another room"]
    assert {"rating": 5, "comment": "On time and very friendly"} in docs
    satisfaction = next(d for d in docs if isinstance(d, dict) and "by_technician" in d)
    assert satisfaction["count"] == 1 and satisfaction["by_technician"][0]["name"] == "Ann Weber"
    history = docs[-1]
    assert [h["kind"] for h in history] == ["rating", "visit", "contact"], _show(session)
    # The server the block started answered; the token never reaches its access log.
    assert '"POST /track/[redacted]/rating HTTP/1.1" 201' in session.log, _show(session)
    logged = re.findall(r'"(?:GET|POST) (/track/\S*) HTTP/1.1"', session.log)
    assert logged and all(p.startswith("/track/[redacted]") for p in logged), logged
    assert page["timezone"] == "Europe/Berlin"


def test_live_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """docs/live-day.md, "A day with changes": ill technician, emergency, overrun,
    re-plan, publish, feeds and tracking, against a real server."""
    session = run_shell(marked_blocks(LIVE_DOC)["live walkthrough"], tmp_path)
    assert session.returncode == 0, _show(session)
    assert session.problems() == [], _show(session)
    plans = re.findall(r"^plan \S+: (\w+)$", session.stdout, re.M)
    assert plans == ["done", "done"], _show(session)
    # Three publishes answered 200: the morning plan, the insertion, the re-plan.
    assert len(re.findall(r'"POST /api/v1/plans/\S+/publish HTTP/1.1" 200', session.log)) == 3, \
        _show(session)
    docs = session.documents()
    released = next(d for d in docs if isinstance(d, dict) and "released" in d)["released"]
    assert released and all(rid.startswith("b") for rid in released), _show(session)
    inserted = next(d for d in docs if isinstance(d, dict) and "placement" in d)
    assert inserted["diff"]["moved_nobody"] is True, _show(session)
    before, after = [d["eta"] for d in docs if isinstance(d, dict) and set(d) == {"id", "eta"}]
    assert after > before, _show(session)  # the overrun pushed ann's next job
    replan = next(d for d in docs if isinstance(d, dict) and d.get("kind") == "replan")
    added = {rid for t in replan["diff"]["technicians"] for rid in t["added"]}
    assert set(released) <= added, _show(session)
    board = [d for d in docs if isinstance(d, dict) and "available" in d]
    assert {d["technician_id"]: d["available"] for d in board} == \
        {"ann": True, "bob": False, "cem": True}, _show(session)
    assert "SUMMARY" in session.stdout and "SEQUENCE" in session.stdout, _show(session)
    track = docs[-1]
    assert track["id"] == "b1" and track["technician_id"] in ("ann", "cem"), _show(session)
    assert track["eta"] >= track["eta"][:11] + "10:00", _show(session)


def test_board_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """docs/board.md's curl session, in the shell the API walkthrough left behind."""
    board = marked_blocks(ROOT / "docs" / "board.md")["board walkthrough"]
    session = run_shell(marked_blocks(DOC)["walkthrough"] + board, tmp_path)
    assert session.returncode == 0, _show(session)
    assert re.search(r'"GET /board/2026-03-02 HTTP/1.1" 200', session.log), _show(session)
    docs = session.documents()
    assert docs[-2] == {"status": 403, "detail": docs[-2]["detail"]}, _show(session)
    assert "X-CSRF-Token" in docs[-2]["detail"]
    day = docs[-1]
    assert day["date"] == "2026-03-02", _show(session)
    assert day["technicians"] == [{"technician_id": "ann",
                                   "stops": day["technicians"][0]["stops"]}]
    assert set(day["technicians"][0]["stops"]) == {"boiler-1", "boiler-2"}, _show(session)
def test_intraday_walkthrough_runs_as_written(tmp_path: Path) -> None:
    """docs/workforce.md: HR CSV → roster naming the agents with its predicted service
    level → publish → the rest of the day re-forecast against it."""
    block = marked_blocks(ROOT / "docs" / "workforce.md")["intraday walkthrough"]
    session = run_shell(block, tmp_path)
    assert session.returncode == 0, _show(session)
    assert session.problems() == [], _show(session)
    docs = session.documents()
    assert docs[0] == {"created": 3, "updated": 0, "ids": ["ana", "ben", "cem"]}, _show(session)
    roster = next(d for d in docs if isinstance(d, dict) and "verdict" in d)
    assert roster["status"] == "done", _show(session)
    # Three agents, 36 agent-hours required: the verdict says how short, not "optimal".
    assert re.fullmatch(r"optimal for the agents available, \d+ agent-intervals short|"
                        r"best found in the time limit \(not proven optimal\), "
                        r"\d+ agent-intervals short", roster["verdict"]), roster["verdict"]
    assert {row["queue"] for row in roster["predicted"]} == {"voice/en", "chat/en"}
    intraday = docs[-1]
    ratios = {r["queue"]: r["volume_ratio"] for r in intraday["ratios"]}
    assert ratios["chat/en"] == 1 and 1.3 < ratios["voice/en"] < 1.5, _show(session)
    assert intraday["roster_id"] is not None  # the roster published above covers 12:00
    voice = next(q for q in intraday["summary"] if q["queue"] == "voice/en")
    assert voice["reforecast_contacts"] > voice["day_ahead_contacts"]
    short = voice["required_agent_intervals"] - voice["rostered_agent_intervals"]
    assert voice["short_agent_intervals"] >= short > 0
