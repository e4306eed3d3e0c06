"""services/live_ops: a proposal's problem and plan JSON, shared by value between
proposals, are exactly what the schemas write."""

from __future__ import annotations

import json

from fieldops.domain.live import JobStatus, StatusReport, Unavailability
from fieldops.schemas import plan_from_json, plan_to_json, problem_from_json, problem_to_json
from fieldops.services import live_ops
from fieldops.solver.live import current_plan, insert_job, replan_problem

from line_world import t
from live_fixtures import Day


def _text(data: object) -> str:
    return json.dumps(data, sort_keys=True)


def test_proposal_json_is_the_schemas_json_and_shares_unchanged_parts() -> None:
    d = Day()
    done = StatusReport("A1", JobStatus.DONE, t(40))
    out = Unavailability("B", t(120), t(200), "vehicle", t(60))
    for events in ([done, out], [done]):  # with a cut shift and released work, without
        built = replan_problem(d.live(75, events))  # baselines, pins, promised windows
        live = current_plan(built)
        ins = insert_job(built.problem, live, d.request("N1", "E"))
        for problem, plan in ((built.problem, live), (ins.problem, ins.plan)):
            assert _text(live_ops.proposal_problem_json(problem)) == _text(
                problem_to_json(problem))
            assert _text(live_ops.proposal_plan_json(plan)) == _text(plan_to_json(plan))
            assert problem_from_json(live_ops.proposal_problem_json(problem)) == problem
            assert plan_from_json(live_ops.proposal_plan_json(plan)) == plan
    # The insertion changed one route: the other's JSON is the one written before.
    before = live_ops.proposal_plan_json(live)["routes"]
    after = live_ops.proposal_plan_json(ins.plan)["routes"]
    kept = [route.shift_id for r, route in zip(after, ins.plan.routes, strict=True)
            if any(r is b for b in before)]
    assert len(ins.plan.routes) == 2
    assert kept == [r.shift_id for r in ins.plan.routes if r.shift_id != ins.shift_id]
