"""The curl walkthrough in docs/api.md works as written (run against the test client)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from .conftest import Api, wait_plan

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def walkthrough_lines() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- walkthrough", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return block.replace("\\\n", " ").splitlines()


def run_curl(api: Api, command: str, files: dict[str, str]) -> Any:
    args = shlex.split(command, comments=True)
    assert args[0] == "curl", command
    method, url, headers, data = "GET", None, {}, None
    it = iter(args[1:])
    for arg in it:
        if arg == "-X":
            method = next(it)
        elif arg == "-H":
            name, _, value = next(it).partition(":")
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            data = next(it)
        elif arg == "--data-binary":
            data = files[next(it).lstrip("@")]
        elif arg.startswith("-"):
            assert arg == "-sS", arg
        else:
            url = arg
    if data is not None and method == "GET":
        method = "POST"
    assert url is not None
    resp = api.client.open(url, method=method, headers=headers, data=data)
    assert resp.status_code < 400, (command, resp.get_json())
    return resp


def test_walkthrough(api: Api) -> None:
    env = {"$API": "/api/v1", '"$AUTH"': f"'Authorization: Bearer {api.keys['admin']}'"}
    files: dict[str, str] = {}
    lines = iter(walkthrough_lines())
    ran = 0
    for line in lines:
        heredoc = re.match(r"cat > (\S+) <<'(\w+)'", line)
        if heredoc:
            body = []
            for inner in lines:
                if inner == heredoc.group(2):
                    break
                body.append(inner)
            files[heredoc.group(1)] = "\n".join(body) + "\n"
            continue
        for var, value in env.items():
            line = line.replace(var, value)
        assign = re.match(r"(\w+)=\$\((curl .*) \| jq -r \.(\w+)\)$", line)
        if assign:
            resp = run_curl(api, assign.group(2), files)
            env[f"${assign.group(1)}"] = resp.get_json()[assign.group(3)]
            ran += 1
        elif line.startswith("curl "):
            resp = run_curl(api, line, files)
            if "repeat until" in line:
                assert wait_plan(api, resp.request.path)["status"] == "done"
            ran += 1
    assert ran == 7
    track = api.get("/api/v1/requests/boiler-1/tracking").get_json()
    assert track["status"] == "dispatched" and track["technician_id"] == "ann"
    assert track["eta"] is not None
