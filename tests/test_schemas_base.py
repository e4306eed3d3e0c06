"""The shared schema machinery: error paths, and the compiled loader agreeing with marshmallow."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings

from fieldops.domain import FieldError
from fieldops.schemas import problem_to_json
from fieldops.schemas._base import first_error, load
from fieldops.schemas.dispatch import ProblemSchema, RequestSchema
from test_schemas_dispatch import full_problem, problems


def test_first_error_builds_the_path() -> None:
    messages = {"requests": {3: {"windows": {0: {"end": ["is required"]}}}}}
    assert first_error(messages) == ("requests[3].windows[0].end", "is required")
    assert first_error({"_schema": ["bad"]}, "travel") == ("travel", "bad")
    # A domain error raised while building names its own sub-path.
    assert first_error({"shifts": {1: {"windows[2]": ["overlap"]}}}) == ("shifts[1].windows[2]",
                                                                        "overlap")


@settings(max_examples=40, deadline=None)
@given(problems())
def test_compiled_loader_builds_what_marshmallow_builds(problem: Any) -> None:
    data = json.loads(json.dumps(problem_to_json(problem)))
    schema = ProblemSchema()
    assert schema.fast_load(data) == schema.load(data) == problem


@pytest.mark.parametrize(("mutate", "path"), [
    (lambda d: d["requests"][1].update(duration=45), "requests[1].duration"),
    (lambda d: d["requests"][0]["windows"][1].update(end="2026-03-02T15:00:00"),
     "requests[0].windows[1].end"),
    (lambda d: d["requests"][0].update(priority="urgent"), "requests[0].priority"),
    (lambda d: d["requests"][0]["location"].update(lat=91), "requests[0].location.lat"),
    (lambda d: d["requests"][0]["location"].update(lat=True), "requests[0].location.lat"),
    (lambda d: d["requests"][0].update(location=None), "requests[0].location"),
    (lambda d: d["requests"][0].update(windows={"start": 1}), "requests[0].windows"),
    (lambda d: d["technicians"][0]["skills"][0].update(level=4), "technicians[0].skills[0].level"),
    (lambda d: d["shifts"][0].update(technician_id="T9"), "shifts[0].technician_id"),
    (lambda d: d.update(technicians="T1"), "technicians"),
    (lambda d: d.pop("timezone"), "timezone"),
])
def test_the_compiled_loader_refuses_what_marshmallow_refuses(
    mutate: Any, path: str
) -> None:
    data = json.loads(json.dumps(problem_to_json(full_problem())))
    mutate(data)
    schema = ProblemSchema()
    with pytest.raises(Exception):  # noqa: B017 - any refusal hands over to marshmallow
        schema.fast_load(data)
    with pytest.raises(FieldError) as info:
        load(schema, data)
    assert info.value.field == path


def test_a_path_prefix_is_kept() -> None:
    with pytest.raises(FieldError) as info:
        load(RequestSchema(), {"id": "r", "location": {"lat": 1, "lon": 2}}, "requests[7]")
    assert info.value.field == "requests[7].duration"
