"""Memoise hypothesis-jsonschema's per-draw strategy building for the schemathesis run.

hypothesis-jsonschema draws a JSON object property by property and, for each one,
builds the property's strategy from its schema again (canonicalising and resolving
it) on every draw. For our nested request bodies (agents with skills, days off and
unavailability; imports) that building was most of the fuzzing time: ``POST
/agents/import`` spent 16 of its 18 s generating. A strategy is an immutable value,
so handing out the one built for the same schema, alphabet and formats draws the
same data: the derandomized cases are byte-identical with and without this (checked
by hashing 100 cases of that operation), only faster.
"""

from __future__ import annotations

from typing import Any

import hypothesis_jsonschema._from_schema as from_schema
from hypothesis_jsonschema._encode import encode_canonical_json

_built = from_schema.merged_as_strategies
_cache: dict[tuple[str, int, int], tuple[Any, object, object]] = {}


def _merged_as_strategies(schemas: list[Any], *, alphabet: Any,
                          custom_formats: Any) -> Any:
    key = (encode_canonical_json(schemas), id(alphabet), id(custom_formats))
    hit = _cache.get(key)
    # the entry keeps alphabet and formats alive, so their ids cannot be reused
    if hit is None or hit[1] is not alphabet or hit[2] is not custom_formats:
        hit = (_built(schemas, alphabet=alphabet, custom_formats=custom_formats),
               alphabet, custom_formats)
        _cache[key] = hit
    return hit[0]


def install() -> None:
    """Route hypothesis-jsonschema's object drawing through the cache (idempotent)."""
    from_schema.merged_as_strategies = _merged_as_strategies
