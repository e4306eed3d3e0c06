"""Errors a use case raises besides :class:`~fieldops.domain.errors.FieldError`.

Each names the HTTP status and problem ``kind`` it stands for, so the API's one
error handler turns any of them into a problem document, and a CLI or worker can
print ``str(exc)``. Nothing here imports Flask.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A use case refused: ``detail`` says why, ``field`` names the offending input.

    ``extra`` members (e.g. ``row=3``, ``allowed=[...]``) are added to the problem
    document as they are.
    """

    status = 400
    kind: str | None = None

    def __init__(self, detail: str, *, field: str | None = None, kind: str | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.detail, self.field = detail, field
        if kind is not None:
            self.kind = kind
        self.extra = extra


class BadInput(ServiceError):
    """Input that cannot be read at all (malformed CSV, wrong media type)."""

    status = 400


class Forbidden(ServiceError):
    status, kind = 403, "forbidden"


class NotFound(ServiceError):
    status, kind = 404, "not-found"


class Conflict(ServiceError):
    """The resource's state forbids the change (exists, in use, wrong status)."""

    status, kind = 409, "conflict"


class TooLarge(ServiceError):
    status, kind = 413, "too-many-rows"


class Unsupported(ServiceError):
    status, kind = 415, "unsupported-media-type"


class RowError(ServiceError):
    """A row of a batch is invalid; ``row`` (1-based) says which."""

    status, kind = 422, "validation"


class Unavailable(ServiceError):
    """A service the use case needs (the solve queue) is down."""

    status, kind = 503, "queue-unavailable"
