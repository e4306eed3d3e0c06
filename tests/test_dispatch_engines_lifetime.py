"""solver/dispatch/engines/lifetime.py: solver child processes die with their parent, by the
parent-death signal and by the parent-watch thread alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

GONE_WITHIN = 5.0

# A parent that starts a child calling die_with_parent, prints the child's pid, waits.
PARENT = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import sys, time\\n"
    "from fieldops.solver.dispatch.engines.lifetime import die_with_parent\\n"
    f"die_with_parent({os.getpid()}, kernel={sys.argv[1]})\\n"
    "print('armed', flush=True)\\n"
    "time.sleep(120)\\n"], stdout=subprocess.PIPE)
assert child.stdout is not None and child.stdout.readline() == b"armed\\n"
print(child.pid, flush=True)
time.sleep(120)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("kernel", [True, False], ids=["pdeathsig", "watcher"])
def test_a_child_dies_when_its_parent_is_killed(kernel: bool) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(kernel)],
                              stdout=subprocess.PIPE)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _running(child)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(10)
    deadline = time.monotonic() + GONE_WITHIN
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = _running(child)
    if alive:
        os.kill(child, signal.SIGKILL)
    assert not alive, "the child outlived its killed parent"
