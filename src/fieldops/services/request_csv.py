"""The request CSV import's errors as service errors.

The format itself (columns, list separators, cells to request JSON) is defined once
in :mod:`fieldops.schemas.requests_csv`, which the CLI reads files with too; this
module maps its errors to the problems the API answers with.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fieldops.domain.errors import FieldError
from fieldops.schemas.requests_csv import (
    CsvFormatError,
    CsvRowError,
    TooManyRows,
    request_rows_from_csv,
)
from fieldops.services.errors import BadInput, RowError, TooLarge

MALFORMED = "malformed-csv"


def too_many(limit: int) -> TooLarge:
    return TooLarge(f"too many rows: at most {limit} per import; split the file",
                    field="requests")


def row_error(number: int, exc: FieldError) -> RowError:
    """Row ``number`` (1-based) of a batch is invalid."""
    return RowError(f"row {number}: {exc}", field=exc.field, row=number)


def rows_from_csv(raw: bytes, limit: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, request JSON)`` of each row of a UTF-8 CSV with a header.

    Raises :class:`BadInput` for a file that is not CSV of known columns,
    :class:`TooLarge` past ``limit`` rows and :class:`RowError` for a bad cell.
    """
    try:
        yield from request_rows_from_csv(raw, limit)
    except CsvFormatError as exc:
        raise BadInput(exc.message, field=exc.field, row=exc.row, kind=MALFORMED) from None
    except TooManyRows as exc:
        raise too_many(exc.limit) from None
    except CsvRowError as exc:
        raise row_error(exc.row, exc.error) from None
