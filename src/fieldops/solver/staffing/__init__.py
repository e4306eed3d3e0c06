"""Staffing: Erlang C / Erlang A per interval and queue, deadlines, simulation."""

from fieldops.solver.staffing.erlang import (
    QueueMetrics,
    erlang_a,
    erlang_b,
    erlang_b_direct,
    erlang_c,
)
from fieldops.solver.staffing.plan import staff
from fieldops.solver.staffing.required import DeadlineProfile, deadline_profile, required_agents

__all__ = [
    "DeadlineProfile",
    "QueueMetrics",
    "deadline_profile",
    "erlang_a",
    "erlang_b",
    "erlang_b_direct",
    "erlang_c",
    "required_agents",
    "staff",
]
