"""Subcommands registered into the ``fieldops`` command line."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this module's subcommands. Each sets ``func(args) -> int``."""
