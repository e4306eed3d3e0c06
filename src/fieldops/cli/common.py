"""Helpers more than one command group uses: the console and option parsing.

Everything here is public on purpose: ``cli.workforce`` and ``cli.roster`` both
read the service-level options, so they share these functions instead of
importing each other's private ones.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from fieldops.domain.errors import FieldError
from fieldops.domain.workforce import QueueSpec, ServiceLevelBasis, StaffingTarget
from fieldops.schemas.workforce import queue_specs_from_json

#: Width of the tables the contact-center commands print.
CONSOLE_WIDTH = 120
#: Answer time when no ``--service-level`` is given.
DEFAULT_ANSWER_TIME = timedelta(seconds=20)


def wide_console() -> Console:
    """The console the contact-center commands print their tables on."""
    return Console(width=CONSOLE_WIDTH)


def parse_service_level(text: str) -> tuple[float, timedelta]:
    """``80/20`` → (0.80, 20 s): percent answered within seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%?\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*", text)
    if not m:
        raise FieldError("service_level", f"{text!r} is not like 80/20 (percent/seconds)")
    pct, secs = float(m.group(1)), float(m.group(2))
    if not 0 < pct < 100:
        raise FieldError("service_level", "percent must be between 0 and 100")
    return pct / 100.0, timedelta(seconds=secs)


def parse_seconds(text: str, field: str) -> timedelta:
    """Seconds (``120``), or ISO 8601 (``PT4H``), or ``4h`` / ``30m`` / ``20s``."""
    text = text.strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smh]?)", text, flags=re.IGNORECASE)
    if m:
        unit = {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2).lower()]
        return timedelta(seconds=float(m.group(1)) * unit)
    from fieldops.schemas import parse_duration

    return parse_duration(text, field)


def staffing_target(args: argparse.Namespace) -> StaffingTarget:
    """The service-level target of ``--service-level`` / ``--asa`` / ``--shrinkage`` …"""
    sl, answer = (parse_service_level(args.service_level) if args.service_level
                  else (None, DEFAULT_ANSWER_TIME))
    return StaffingTarget(
        service_level=sl, answer_time=answer,
        asa=parse_seconds(args.asa, "asa") if args.asa else None,
        max_occupancy=args.max_occupancy, max_abandon=args.max_abandon,
        shrinkage=args.shrinkage, basis=ServiceLevelBasis(args.basis),
    )


def queue_specs(args: argparse.Namespace, queue_ids: list[str]) -> dict[str, QueueSpec]:
    """Each queue's channel, concurrency and patience: ``--queues`` JSON, else the options."""
    specs: dict[str, QueueSpec] = {}
    if args.queues:
        try:
            data = json.loads(Path(args.queues).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise FieldError("queues", f"cannot read {args.queues}: {exc}") from None
        specs = queue_specs_from_json(data)
    patience = parse_seconds(args.patience, "patience") if args.patience else None
    deadline = parse_seconds(args.email_deadline, "email_deadline") if args.email_deadline else None
    for q in queue_ids:
        if q in specs:
            continue
        base = QueueSpec.infer(q)
        specs[q] = QueueSpec(
            id=q, channel=base.channel,
            concurrency=args.chat_concurrency if base.channel.value == "chat" else 1,
            patience=None if base.deferred else patience,
            response_deadline=deadline if (base.deferred and deadline) else base.response_deadline,
        )
    return specs
