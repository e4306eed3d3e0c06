"""The ``fieldops`` command line.

Subcommands live next to the layer they drive; each module exposes
``register(subparsers)`` and every subcommand sets ``func(args) -> int``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fieldops import __version__, cli_api, cli_dispatch, cli_reports, cli_roster, cli_workforce
from fieldops.domain.errors import FieldError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldops",
        description="Field-service and workforce scheduling engine.",
    )
    parser.add_argument("--version", action="version", version=f"fieldops {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (cli_dispatch, cli_reports, cli_api, cli_workforce, cli_roster):
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
