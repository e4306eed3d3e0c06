"""The ``fieldops`` command line.

One module per command group, each exposing ``register(subparsers)``; every
subcommand sets ``func(args) -> int``:

- :mod:`~fieldops.cli.dispatch`: ``solve``, ``validate``;
- :mod:`~fieldops.cli.demo`: ``demo`` (dispatch, ``--workforce``, ``--roster``);
- :mod:`~fieldops.cli.reports`: ``report``, ``ics``;
- :mod:`~fieldops.cli.api`: ``serve``, ``worker``, ``keys create``, ``db upgrade``;
- :mod:`~fieldops.cli.workforce`: ``workforce-sample``, ``forecast``, ``staff``;
- :mod:`~fieldops.cli.roster`: ``roster``, ``roster-sample``.

Shared pieces are public: :mod:`~fieldops.cli.live` (the live-progress runner)
and :mod:`~fieldops.cli.common` (console, service-level options).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from fieldops import __version__
from fieldops.cli import api, demo, dispatch, reports, roster, workforce
from fieldops.cli.common import process_started
from fieldops.domain.errors import FieldError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldops",
        description="Field-service and workforce scheduling engine.",
    )
    parser.add_argument("--version", action="version", version=f"fieldops {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (dispatch, demo, reports, api, workforce, roster):
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # A command from the shell (argv None) is timed from the process's start, so
    # that ``solve --time-limit`` bounds all of it; one called in-process from here.
    started = process_started() if argv is None else time.monotonic()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.started = started
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except FieldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
