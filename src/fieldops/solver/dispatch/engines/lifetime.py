"""Child processes that die with their parent: no orphan solver is left behind.

A solve runs in child processes (the API's local pool, an engine's search pool,
VROOM's child interpreter). When their parent is killed (``kill -9`` of an API or
Celery worker, an OOM kill) nothing else would stop them: they would keep a core
busy until their time limit, writing nowhere. :func:`die_with_parent`, called first
thing in the child, ends the child when its parent goes:

* on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the child the
  moment the parent (strictly, the parent's thread that started it) exits, even
  while the child runs C code that holds the GIL (VROOM, PyVRP);
* everywhere, a daemon thread that polls the parent's pid and exits the process
  when the child has been re-parented (systems without ``prctl``, and as a second
  line when the signal was not delivered).

The kernel signal follows the parent *thread*: a child started from a thread that
ends before the child (a request thread of a threaded dev server) would be killed
with that thread. Such callers pass ``kernel=False`` and rely on the watcher alone.
Both check the parent pid the child was started by, so a parent that died before
the call is noticed too.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading

#: ``prctl`` option number of ``PR_SET_PDEATHSIG`` (linux/prctl.h).
PR_SET_PDEATHSIG = 1
#: How often the fallback watcher looks at the parent pid.
WATCH_SECONDS = 0.5
#: Exit status of a child that ended because its parent was gone.
ORPHAN_EXIT_STATUS = 70


def _set_pdeathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(ORPHAN_EXIT_STATUS)
        threading.Event().wait(WATCH_SECONDS)


def die_with_parent(parent: int | None = None, *, kernel: bool = True) -> None:
    """Make this process end when its parent process ends.

    ``parent`` is the pid of the process that started this one (pass it from the
    parent: ``os.getpid()`` there); by default the current parent. ``kernel=False``
    skips ``PR_SET_PDEATHSIG`` (see the module doc) and only watches the parent.
    """
    parent = os.getppid() if parent is None else parent
    if kernel:
        _set_pdeathsig()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(ORPHAN_EXIT_STATUS)
    # The watcher runs even when the kernel signal is armed: it also covers a
    # child that was re-parented without the signal reaching it.
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="parent-watch").start()
