"""One marshmallow schema per domain type: the JSON formats of fieldops in one place.

The CLI files, the worker, the store's JSON columns and the API all read and write
through these schemas (docs/json-format.md, docs/workforce.md). This package
imports marshmallow and the domain only: no Flask, no SQLAlchemy.
"""

from fieldops.domain.errors import FieldError
from fieldops.schemas.dispatch import (
    location_from_json,
    location_to_json,
    plan_from_json,
    plan_to_json,
    problem_from_json,
    problem_to_json,
    request_from_json,
    request_to_json,
    shift_from_json,
    technician_from_json,
    tier_from_json,
    travel_from_json,
    weights_from_json,
    window_from_json,
    window_to_json,
)
from fieldops.schemas.files import dump_json, load_plan, load_problem, read_json_file
from fieldops.schemas.requests_csv import read_requests_csv, request_rows_from_csv
from fieldops.schemas.roster import (
    COVERAGE_COLUMNS,
    agent_from_json,
    agent_to_json,
    contract_from_json,
    contract_to_json,
    coverage_to_records,
    load_roster_problem,
    requirement_from_json,
    roster_from_json,
    roster_params_from_json,
    roster_params_to_json,
    roster_problem_from_json,
    roster_problem_to_json,
    roster_to_json,
    roster_weights_from_json,
    template_from_json,
    template_to_json,
)
from fieldops.schemas.scalars import (
    format_duration,
    format_instant,
    parse_date,
    parse_duration,
    parse_instant,
)
from fieldops.schemas.staffing import (
    read_staffing,
    requirements_from_staffing,
    staffing_from_requirements,
)
from fieldops.schemas.workforce import (
    forecast_settings_from_json,
    queue_specs_from_json,
    staffing_target_from_json,
)

__all__ = [
    "COVERAGE_COLUMNS",
    "FieldError",
    "agent_from_json",
    "agent_to_json",
    "contract_from_json",
    "contract_to_json",
    "coverage_to_records",
    "dump_json",
    "forecast_settings_from_json",
    "format_duration",
    "format_instant",
    "load_plan",
    "load_problem",
    "load_roster_problem",
    "location_from_json",
    "location_to_json",
    "parse_date",
    "parse_duration",
    "parse_instant",
    "plan_from_json",
    "plan_to_json",
    "problem_from_json",
    "problem_to_json",
    "queue_specs_from_json",
    "read_json_file",
    "read_requests_csv",
    "read_staffing",
    "request_from_json",
    "request_rows_from_csv",
    "request_to_json",
    "requirement_from_json",
    "requirements_from_staffing",
    "roster_from_json",
    "roster_params_from_json",
    "roster_params_to_json",
    "roster_problem_from_json",
    "roster_problem_to_json",
    "roster_to_json",
    "roster_weights_from_json",
    "shift_from_json",
    "staffing_from_requirements",
    "staffing_target_from_json",
    "technician_from_json",
    "template_from_json",
    "template_to_json",
    "tier_from_json",
    "travel_from_json",
    "weights_from_json",
    "window_from_json",
    "window_to_json",
]
