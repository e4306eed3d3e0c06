"""The machinery every schema shares: strict fields, domain building, error paths.

A :class:`DomainSchema` declares the JSON shape of one domain type once. Loading
checks the shape, then :meth:`DomainSchema.make` builds the frozen dataclass
(whose ``__post_init__`` checks meaning); dumping writes the documented JSON.

Errors: marshmallow collects them as nested dicts; :func:`load` turns the first
into a :class:`FieldError` whose path names the value, e.g.
``requests[3].windows[0].end``. A domain error raised while building is re-raised
at the field path of the object being built.

Speed: marshmallow walks its generic field machinery for every value, which costs
several times the domain checks on a day of 2 000 jobs. Each schema therefore also
has a *compiled* loader (:meth:`DomainSchema.fast_load`), derived from the same
declared fields, that handles well-formed input; on any doubt it gives up and the
full marshmallow load runs, so every error still comes from marshmallow and names
its path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from enum import Enum
from typing import Any, ClassVar, TypeVar

from marshmallow import RAISE, Schema, ValidationError, fields, post_dump, post_load

from fieldops.domain._checks import MAX_ID_LENGTH, id_problem
from fieldops.domain.errors import FieldError
from fieldops.schemas import scalars

T = TypeVar("T")
Json = dict[str, Any]

_REQUIRED = {"required": "is required", "null": "is required"}
#: The id rule as an OpenAPI pattern, for clients and generators (ASCII controls and
#: ``/``); the full rule (any invisible character, ``.``/``..``) is checked on load.
ID_PATTERN = "^[^/\\u0000-\\u001f\\u007f]+$"


class _Slow(Exception):
    """The compiled loader cannot vouch for this input: use the full load."""


def _field_error(exc: FieldError) -> ValidationError:
    return ValidationError(exc.message)


class _FastField:
    """Mixin: ``fast(value)`` converts a present, non-null value or raises."""

    def fast(self, value: Any) -> Any:
        return self._deserialize(value, None, None)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- scalar fields
class Text(_FastField, fields.String):
    default_error_messages = {**_REQUIRED, "invalid": "must be a string"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Any:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return value

    def fast(self, value: Any) -> Any:
        if value.__class__ is not str:
            raise _Slow
        return value


class Key(Text):
    """An id (or a name used as a key): the domain's one id rule,
    :func:`~fieldops.domain._checks.id_problem` (printable, no ``/``, at most
    :data:`~fieldops.domain._checks.MAX_ID_LENGTH` characters)."""

    def __init__(self, **kw: Any) -> None:
        meta = {"minLength": 1, "maxLength": MAX_ID_LENGTH, "pattern": ID_PATTERN,
                "description": "an id: printable, no '/', at most "
                               f"{MAX_ID_LENGTH} characters"}
        super().__init__(metadata={**meta, **kw.pop("metadata", {})}, **kw)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Any:
        value = super()._deserialize(value, attr, data, **kw)
        problem = id_problem(value)
        if problem is not None:
            raise ValidationError(problem)
        return value

    def fast(self, value: Any) -> Any:
        if value.__class__ is not str or id_problem(value) is not None:
            raise _Slow
        return value


class Num(_FastField, fields.Float):
    """A JSON number, passed on as given (the domain checks its range)."""

    default_error_messages = {**_REQUIRED, "invalid": "must be a finite number"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if not math.isfinite(value):
            raise self.make_error("invalid")
        return value

    def _serialize(self, value: Any, attr: Any, obj: Any, **kw: Any) -> Any:
        return value


class Real(Num):
    """A JSON number read as a float (plan figures)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Any:
        return float(super()._deserialize(value, attr, data, **kw))


class Int(_FastField, fields.Integer):
    default_error_messages = {**_REQUIRED, "invalid": "must be an integer"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value

    def _serialize(self, value: Any, attr: Any, obj: Any, **kw: Any) -> Any:
        return value


class Bool(_FastField, fields.Boolean):
    default_error_messages = {**_REQUIRED, "invalid": "must be true or false"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value

    def _serialize(self, value: Any, attr: Any, obj: Any, **kw: Any) -> Any:
        return value


class _Parsed(_FastField, fields.String):
    """A string parsed by one of :mod:`fieldops.schemas.scalars`' parsers."""

    parse: ClassVar[Callable[[object, str], Any]]
    kind: ClassVar[type]
    default_error_messages = dict(_REQUIRED)  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Any:
        try:
            return type(self).parse(value, "")
        except FieldError as exc:
            raise _field_error(exc) from None

    def fast(self, value: Any) -> Any:
        return type(self).parse(value, "")

    def _serialize(self, value: Any, attr: Any, obj: Any, **kw: Any) -> Any:
        if value is None or isinstance(value, str):
            return value  # already JSON (the API dumps rows it formatted itself)
        return self.format(value)

    def format(self, value: Any) -> str:
        raise NotImplementedError


class Instant(_Parsed):
    """ISO 8601 instant with a UTC offset."""

    parse = staticmethod(scalars.parse_instant)

    def __init__(self, **kw: Any) -> None:
        meta = {"format": "date-time", "example": "2026-03-02T08:00:00+01:00",
                "description": "ISO 8601 instant with a UTC offset"}
        super().__init__(metadata={**meta, **kw.pop("metadata", {})}, **kw)

    def format(self, value: datetime) -> str:
        return scalars.format_instant(value)


class Duration(_Parsed):
    """ISO 8601 duration such as ``PT45M``."""

    parse = staticmethod(scalars.parse_duration)

    def __init__(self, **kw: Any) -> None:
        meta = {"example": "PT45M", "description": "ISO 8601 duration"}
        super().__init__(metadata={**meta, **kw.pop("metadata", {})}, **kw)

    def format(self, value: timedelta) -> str:
        return scalars.format_duration(value)


class TimeOfDay(_Parsed):
    """A local wall-clock time ``17:00``; ``minutes_only`` drops seconds on output."""

    parse = staticmethod(scalars.parse_time_of_day)

    def __init__(self, *, minutes_only: bool = False, **kw: Any) -> None:
        self.minutes_only = minutes_only
        super().__init__(metadata={"example": "17:00", **kw.pop("metadata", {})}, **kw)

    def format(self, value: time) -> str:
        return value.strftime("%H:%M") if self.minutes_only else scalars.format_time_of_day(value)


class Date(_Parsed):
    """A calendar date ``2026-12-07``."""

    parse = staticmethod(scalars.parse_date)

    def __init__(self, **kw: Any) -> None:
        super().__init__(metadata={"format": "date", **kw.pop("metadata", {})}, **kw)

    def format(self, value: date) -> str:
        return value.isoformat()


class Weekday(_Parsed):
    """0 (Monday) to 6 (Sunday) or ``mon`` … ``sun``; written as the name."""

    parse = staticmethod(scalars.parse_weekday)

    def __init__(self, **kw: Any) -> None:
        super().__init__(metadata={"enum": list(scalars.WEEKDAY_NAMES),
                                   **kw.pop("metadata", {})}, **kw)

    def format(self, value: int) -> str:
        return scalars.WEEKDAY_NAMES[value]


class EnumText(_FastField, fields.String):
    """One of an enum's values; loads as the enum member."""

    default_error_messages = {**_REQUIRED, "invalid": "must be one of {choices}"}  # noqa: RUF012

    def __init__(self, enum: type[Enum], **kw: Any) -> None:
        self.enum = enum
        self.by_value = {e.value: e for e in enum}
        super().__init__(metadata={"enum": list(self.by_value), **kw.pop("metadata", {})}, **kw)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Any:
        try:
            return self.by_value[value]
        except (KeyError, TypeError):
            raise self.make_error("invalid", choices=", ".join(self.by_value)) from None

    def _serialize(self, value: Any, attr: Any, obj: Any, **kw: Any) -> Any:
        return value.value if isinstance(value, Enum) else value


class Mapping_(_FastField, fields.Dict):
    """A JSON object of free keys (its values are checked by the domain)."""

    default_error_messages = {**_REQUIRED, "invalid": "must be a JSON object"}  # noqa: RUF012

    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> Any:
        if not isinstance(value, Mapping):
            raise self.make_error("invalid")
        return dict(value)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kw: Any) -> Any:
        return None if value is None else dict(value)


class Nested(_FastField, fields.Nested):
    default_error_messages = dict(_REQUIRED)  # noqa: RUF012

    def fast(self, value: Any) -> Any:
        return self.schema.fast_load(value)  # type: ignore[attr-defined]


class List(_FastField, fields.List):
    default_error_messages = {**_REQUIRED, "invalid": "must be a JSON array"}  # noqa: RUF012

    def fast(self, value: Any) -> Any:
        if value.__class__ is not list:
            raise _Slow
        convert = self.inner.fast  # type: ignore[attr-defined]
        return [convert(item) for item in value]


# ---------------------------------------------------------------- schemas
def _is_empty(value: Any) -> bool:
    return value is None or value == [] or value == ()


class DomainSchema(Schema):
    """One domain type's JSON shape; :meth:`make` builds the object (by default
    ``model(**fields)``: a schema whose type needs nothing more just names ``model``).

    Fields are optional unless ``required=True``; ``null`` means the same as a
    missing key, and a missing key takes the domain's default. Unknown keys are
    rejected so that a typo never silently drops a constraint.
    """

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "is not a known field", "type": "must be a JSON object"}  # noqa: RUF012
    #: Keys left out of the output when their value is empty (see :meth:`omit`).
    omit_empty: ClassVar[bool] = True
    #: Fields whose ``null`` is meaningful (passed on instead of taking the default).
    keep_null: ClassVar[frozenset[str]] = frozenset()
    #: The domain type :meth:`make` builds; ``None`` hands the loaded dict back.
    model: ClassVar[type | None] = None

    # ----------------------------------------------------------- to override
    def make(self, data: dict[str, Any]) -> Any:
        """Build the domain object from the loaded ``data`` (keys that were given)."""
        return data if self.model is None else self.model(**data)

    def omit(self, obj: Any, data: Json) -> Json:
        """The dumped ``data`` of ``obj`` as written: empty values left out."""
        if not self.omit_empty:
            return data
        return {k: v for k, v in data.items() if not _is_empty(v)}

    # ----------------------------------------------------------- hooks
    @post_load
    def _build(self, data: dict[str, Any], **kw: Any) -> Any:
        keep = self.keep_null
        given = {k: v for k, v in data.items() if v is not None or k in keep}
        try:
            return self.make(given)
        except FieldError as exc:
            raise ValidationError(exc.message, field_name=exc.field or "_schema") from None
        except TypeError as exc:
            raise ValidationError(str(exc)) from None

    @post_dump(pass_original=True)
    def _omit(self, data: Json, original: Any, **kw: Any) -> Json:
        return self.omit(original, data)

    # ----------------------------------------------------------- compiled load
    def fast_load(self, data: Any) -> Any:
        """Load well-formed ``data`` without marshmallow's generic walk.

        Raises (anything) when the input is not plainly valid; callers then run
        :meth:`load`, which reports the error with its path.
        """
        compiled = type(self).__dict__.get("_compiled_load")
        if compiled is None:
            compiled = _compile(type(self))
            type(self)._compiled_load = compiled  # type: ignore[attr-defined]
        return compiled(self, data)


def _compile(cls: type[DomainSchema]) -> Callable[[DomainSchema, Any], Any]:
    """Write one straight-line loader for ``cls`` from its declared fields.

    The loader does what marshmallow's load does on valid input (missing or null
    optional keys left out, each value converted by its field, then
    :meth:`DomainSchema.make`) and raises on anything else.
    """
    proto = cls()
    env: dict[str, Any] = {"_Slow": _Slow}
    lines = ["def fast_load(self, data):",
             "    if data.__class__ is not dict:",
             "        raise _Slow"]
    keys = []
    body = []
    for n, (attr, field) in enumerate(proto.load_fields.items()):
        key = field.data_key if field.data_key is not None else attr
        out = field.attribute or attr
        keys.append(key)
        body.append(f"    v = data.get({key!r})")
        body.append("    if v is None:")
        if field.required:
            body.append("        raise _Slow")
        elif not field.allow_none:
            body.append(f"        if {key!r} in data:")
            body.append("            raise _Slow")
        elif out in cls.keep_null:
            body.append(f"        if {key!r} in data:")
            body.append(f"            out[{out!r}] = None")
        else:
            body.append("        pass")
        body.append("    else:")
        if type(field) is Text and not field.validators:
            body.append("        if v.__class__ is not str:")
            body.append("            raise _Slow")
            body.append(f"        out[{out!r}] = v")
        else:
            convert = field.fast  # type: ignore[attr-defined]
            if field.validators:
                convert = _validated(convert, field.validators)
            env[f"convert{n}"] = convert
            body.append(f"        out[{out!r}] = convert{n}(v)")
    if proto.unknown == RAISE:
        env["KEYS"] = frozenset(keys)
        lines += ["    if not KEYS.issuperset(data):", "        raise _Slow"]
    lines += ["    out = {}", *body, "    return self.make(out)"]
    # The source is written above from the declared fields only (no input reaches it).
    exec("\n".join(lines), env)
    return env["fast_load"]


def _validated(convert: Callable[[Any], Any], validators: list[Any]) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        out = convert(value)
        for validator in validators:
            validator(out)
        return out

    return run


def first_error(messages: Any, prefix: str = "") -> tuple[str, str]:
    """The path and message of the first error in marshmallow's nested ``messages``."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix
            elif isinstance(key, str) and key.startswith("["):
                path = f"{prefix}{key}"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            return first_error(value, path)
        return prefix, "is not valid"
    if isinstance(messages, list | tuple):
        for item in messages:
            return first_error(item, prefix)
        return prefix, "is not valid"
    return prefix, str(messages)


def load(schema: DomainSchema, data: Any, path: str = "") -> Any:
    """Build ``schema``'s domain object from parsed JSON ``data``.

    Raises :class:`FieldError` naming the path (under ``path``) of the first error.
    """
    try:
        return schema.fast_load(data)
    except Exception:
        pass
    try:
        return schema.load(data)
    except ValidationError as exc:
        field, message = first_error(exc.messages, path)
        raise FieldError(field, message) from None


def load_many(schema: DomainSchema, items: Any, path: str) -> list[Any]:
    """Load a JSON array of ``schema`` objects; errors name ``path[i]``."""
    if not isinstance(items, list):
        raise FieldError(path, "must be a JSON array")
    return [load(schema, item, f"{path}[{i}]") for i, item in enumerate(items)]


def dump(schema: DomainSchema, obj: Any) -> Json:
    return schema.dump(obj)


__all__ = [
    "Bool",
    "Date",
    "DomainSchema",
    "Duration",
    "EnumText",
    "Instant",
    "Int",
    "Json",
    "Key",
    "List",
    "Mapping_",
    "Nested",
    "Num",
    "Real",
    "Text",
    "TimeOfDay",
    "Weekday",
    "dump",
    "first_error",
    "load",
    "load_many",
]
