"""The one error type the domain raises for bad input."""

from __future__ import annotations


class FieldError(ValueError):
    """Invalid input, naming the offending field.

    ``field`` is a dotted path into the input, e.g. ``requests[3].windows[0].end``,
    so an API or CLI can point the user at the exact value to fix.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)

    def within(self, prefix: str) -> FieldError:
        """Return the same error with ``prefix`` put in front of its field path."""
        if not prefix:
            return self
        if not self.field:
            path = prefix
        elif self.field.startswith("["):
            path = f"{prefix}{self.field}"
        else:
            path = f"{prefix}.{self.field}"
        return FieldError(path, self.message)
