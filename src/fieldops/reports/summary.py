"""The plan summary the command line prints: the tables of
:func:`fieldops.domain.summary.summary_tables`, drawn with ``rich``.

``fieldops solve`` and ``fieldops demo`` print it; ``DispatchPlan.summary()``
returns the same tables as plain text (the domain does not import ``rich``).
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from fieldops.domain.plan import DispatchPlan
from fieldops.domain.summary import ROUTE_COLUMNS, UNASSIGNED_COLUMNS, summary_tables

#: Characters per line of the rendered summary.
WIDTH = 110


def render_summary(plan: DispatchPlan) -> str:
    """The summary as text with box-drawn tables, as ``fieldops solve`` prints it."""
    console = Console(width=WIDTH, record=True, file=io.StringIO())
    tables = summary_tables(plan)
    head = Table(title=tables.title, show_header=False)
    for label, value in tables.head:
        head.add_row(label, value)
    console.print(head)
    routes = Table(title="Routes")
    for col in ROUTE_COLUMNS:
        routes.add_column(col)
    for row in tables.routes:
        routes.add_row(*row)
    console.print(routes)
    if tables.unassigned:
        un = Table(title="Unassigned")
        for col in UNASSIGNED_COLUMNS:
            un.add_column(col)
        for row in tables.unassigned:
            un.add_row(*row)
        console.print(un)
    return console.export_text()
