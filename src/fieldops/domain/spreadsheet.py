"""Cells safe to open in a spreadsheet (CSV formula injection, OWASP).

A spreadsheet evaluates a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and,
in some, a leading tab or carriage return) as a formula, so a technician or
customer named ``=HYPERLINK(...)`` would run code on the dispatcher's machine.
Every *text* cell fieldops writes to CSV goes through :func:`escape_cell`, which
prefixes such a value with a single quote, as OWASP recommends; numbers are written
as they are (``-4.83`` stays a number). The CSV files fieldops reads back
(forecasts, staffing tables) go through :func:`unescape_cell`, so a queue named
``=x`` survives the round trip.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: First characters a spreadsheet may read as the start of a formula.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_cell(value: Any) -> Any:
    """The inverse of :func:`escape_cell`: drops the ``'`` it added."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are escaped (numeric columns untouched)."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(escape_cell)
    return out


def unescape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` read from an escaped CSV, text cells as they were written."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(unescape_cell)
    return out


__all__ = ["FORMULA_STARTS", "escape_cell", "escape_frame", "unescape_cell", "unescape_frame"]
