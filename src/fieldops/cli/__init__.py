"""The ``fieldops`` command line.

One module per command group, each exposing ``register(subparsers)``; every
subcommand sets ``func(args) -> int``:

- :mod:`~fieldops.cli.dispatch`: ``solve``, ``validate``;
- :mod:`~fieldops.cli.demo`: ``demo`` (dispatch, ``--workforce``, ``--roster``);
- :mod:`~fieldops.cli.reports`: ``report``, ``ics``;
- :mod:`~fieldops.cli.api`: ``serve``, ``worker``, ``keys create``, ``db upgrade``;
- :mod:`~fieldops.cli.workforce`: ``workforce-sample``, ``forecast``, ``staff``;
- :mod:`~fieldops.cli.roster`: ``roster``, ``roster-sample``;
- :mod:`~fieldops.cli.day`: ``day etas``, ``day insert``, ``day move``, ``day replan``;
- :mod:`~fieldops.cli.slots`: ``slots offers``, ``slots book`` (on files).

Shared pieces are public: :mod:`~fieldops.cli.live` (the live-progress runner)
and :mod:`~fieldops.cli.common` (console, service-level options).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Sequence

from fieldops import __version__
from fieldops.cli.live import process_started
from fieldops.domain.errors import FieldError

#: The command groups (modules of ``fieldops.cli``), in the order of ``--help``.
GROUPS = ("dispatch", "demo", "reports", "api", "workforce", "roster", "day", "slots")
#: Each command and the group that registers it: a command imports its own group
#: only (``solve`` need not load pandas, matplotlib, Flask and Celery, seconds on a
#: loaded machine that ``--time-limit`` counts). ``tests/test_cli_dispatch.py``
#: checks this table against what the groups register.
COMMANDS = {
    "solve": "dispatch", "validate": "dispatch", "demo": "demo", "report": "reports",
    "ics": "reports", "serve": "api", "worker": "api", "keys": "api", "db": "api",
    "workforce-sample": "workforce", "forecast": "workforce", "staff": "workforce",
    "intraday": "workforce", "roster": "roster", "roster-sample": "roster",
    "day": "day", "slots": "slots",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``fieldops`` parser: every group's commands, or with ``command`` (one of
    :data:`COMMANDS`) only that command's group."""
    parser = argparse.ArgumentParser(
        prog="fieldops",
        description="Field-service and workforce scheduling engine.",
    )
    parser.add_argument("--version", action="version", version=f"fieldops {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    groups = (COMMANDS[command],) if command in COMMANDS else GROUPS
    for name in groups:
        importlib.import_module(f"fieldops.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # A command from the shell (argv None) is timed from the process's start, so
    # that ``solve --time-limit`` bounds all of it; one called in-process from here.
    started = process_started() if argv is None else time.monotonic()
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words[0] if words else None)
    args = parser.parse_args(words)
    args.started = started
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
    except FieldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    if argv is None and getattr(args, "end_now", False):
        # A command that has written everything (``solve``) ends here: freeing a
        # large day's model and matrices at exit takes seconds that its
        # ``--time-limit`` would otherwise have to leave for it.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
