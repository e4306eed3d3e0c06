"""solver/live/relocate.py: room for a new job by moving one planned job elsewhere.

A small day on the line world: A (km 0) alone holds the skill ``gas`` and serves
A1 (km 5), A2 (km 10) and A3 (km 15), an hour each, in a morning shift (08:00–12:00,
no overtime) that leaves 30 minutes; B (km 20) serves B1 (km 25). A new hour-long
gas job at km 8 fits nowhere as the day stands; moving A3 to B frees A's last hour.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from fieldops.domain import DispatchPlan, DispatchProblem, ServiceRequest, Skill, TimeWindow
from fieldops.solver.dispatch.solve import evaluate_routes
from fieldops.solver.live import InsertParams, insert_job
from fieldops.solver.live.insert import InsertMode
from fieldops.solver.live.relocate import RelocateLimits
from fieldops.validators.dispatch import assert_valid

from line_world import LineWorld, shift, t

GAS = Skill("gas", 1)
ROUTES = {"S-A": ["A1", "A2", "A3"], "S-B": ["B1"]}


class FullDay:
    """The day above; ``changes`` replace fields of the published jobs by id."""

    def __init__(self, **changes: dict[str, object]) -> None:
        w = LineWorld()
        techs = [w.technician("A", 0, skills=[GAS]), w.technician("B", 20)]
        jobs = [w.job("A1", 5, 60), w.job("A2", 10, 60), w.job("A3", 15, 60),
                w.job("B1", 25, 60)]
        jobs = [dataclasses.replace(j, **changes.get(j.id, {})) for j in jobs]
        self.new_place = w.at(8, "new")
        shifts = [shift("A", 0, 240), shift("B", 0, 240)]
        self.problem: DispatchProblem = w.problem(techs, jobs, shifts=shifts)
        self.plan: DispatchPlan = evaluate_routes(self.problem, ROUTES)
        assert_valid(self.problem, self.plan)

    def request(self, rid: str = "N", **kwargs: object) -> ServiceRequest:
        return ServiceRequest(id=rid, location=self.new_place, duration=timedelta(hours=1),
                              required_skills=(GAS,), **kwargs)  # type: ignore[arg-type]


def where(plan: DispatchPlan) -> dict[str, str]:
    return {rid: r.technician_id for r in plan.routes for rid in r.request_ids}


def test_a_full_route_makes_room_by_moving_one_job_to_another_technician() -> None:
    d = FullDay()
    plain = insert_job(d.problem, d.plan, d.request(), InsertParams(time_budget=0))
    assert plain.mode == InsertMode.UNPLACED  # the day as it stands has no room
    found = insert_job(d.problem, d.plan, d.request(),
                       InsertParams(time_budget=0, relocate=RelocateLimits()))
    assert found.mode == InsertMode.RELOCATE
    assert_valid(found.problem, found.plan)
    assert where(found.plan) == {"A1": "A", "A2": "A", "N": "A", "A3": "B", "B1": "B"}
    assert not found.plan.unassigned
    assert "A3" in found.moved


def test_work_pinned_to_its_start_or_technician_never_moves() -> None:
    at = {"A1": t(5), "A2": t(70), "A3": t(135)}  # the published starts
    for frozen in (True, False):
        pins = {rid: {"pinned_technician": "A", "pinned_start": start if frozen else None}
                for rid, start in at.items()}
        d = FullDay(**pins)
        found = insert_job(d.problem, d.plan, d.request(),
                           InsertParams(time_budget=0, relocate=RelocateLimits()))
        assert found.mode == InsertMode.UNPLACED, frozen
        assert where(found.plan) == where(d.plan)


def test_a_promised_window_stays_honoured_on_the_new_route() -> None:
    # A3 is promised 10:15-10:45: B can reach it only after B1 (09:05), so it keeps
    # the window there; a window B cannot meet (before 08:25) rules the move out.
    d = FullDay(A3={"windows": (TimeWindow(t(135), t(165)),)})
    found = insert_job(d.problem, d.plan, d.request(),
                       InsertParams(time_budget=0, relocate=RelocateLimits()))
    assert found.mode == InsertMode.RELOCATE
    assert_valid(found.problem, found.plan)
    step = next(s for r in found.plan.routes for s in r.jobs if s.request_id == "A3")
    assert t(135) <= step.start <= t(165)
    tight = FullDay(A1={"pinned_start": t(5), "pinned_technician": "A"},
                    A2={"pinned_start": t(70), "pinned_technician": "A"},
                    A3={"windows": (TimeWindow(t(0), t(135)),)},
                    B1={"windows": (TimeWindow(t(0), t(150)),), "duration": timedelta(hours=3)})
    assert_valid(tight.problem, tight.plan)
    found = insert_job(tight.problem, tight.plan, tight.request(),
                       InsertParams(time_budget=0, relocate=RelocateLimits()))
    assert found.mode == InsertMode.UNPLACED


def test_a_cheap_place_is_kept_without_trying_a_relocation() -> None:
    # Without the skill the new job fits B's free afternoon for less than a
    # reassignment: nobody is moved.
    d = FullDay()
    new = dataclasses.replace(d.request(), required_skills=())
    found = insert_job(d.problem, d.plan, new,
                       InsertParams(time_budget=0, relocate=RelocateLimits()))
    assert found.mode in (InsertMode.NO_MOVE, InsertMode.PUSH)
    assert {k: v for k, v in where(found.plan).items() if k != "N"} == where(d.plan)


WATER = Skill("water", 1)
CHAIN_ROUTES = {"S-A": ["A1", "A2", "A3"], "S-B": ["B1", "B2", "B3"], "S-C": []}


class ChainDay:
    """Only an ejection chain makes room. A (km 0, gas and water) serves A1-A3 as
    in :class:`FullDay`; B (km 20, water) serves B1 (km 25), B2 (km 30) and B3
    (km 35), an hour each, in the same full morning; C (km 40, no skill) is free
    all day. A's jobs need water: only B may take one, and B is full; C may take
    B3 (no skill). So the new gas job at km 8 fits only if A3 goes to B and B3
    to C."""

    def __init__(self) -> None:
        w = LineWorld()
        techs = [w.technician("A", 0, skills=[GAS, WATER]), w.technician("B", 20, skills=[WATER]),
                 w.technician("C", 40)]
        jobs = [w.job(rid, km, 60, required_skills=(WATER,))
                for rid, km in (("A1", 5), ("A2", 10), ("A3", 15))]
        jobs += [w.job("B1", 25, 60), w.job("B2", 30, 60), w.job("B3", 35, 60)]
        self.new_place = w.at(8, "new")
        shifts = [shift("A", 0, 240), shift("B", 0, 240), shift("C", 0, 540)]
        self.problem: DispatchProblem = w.problem(techs, jobs, shifts=shifts)
        self.plan: DispatchPlan = evaluate_routes(
            self.problem, {k: v for k, v in CHAIN_ROUTES.items() if v})
        assert_valid(self.problem, self.plan)

    def request(self, rid: str = "N") -> ServiceRequest:
        return ServiceRequest(id=rid, location=self.new_place, duration=timedelta(hours=1),
                              required_skills=(GAS,))


def test_only_an_ejection_chain_makes_room() -> None:
    d = ChainDay()
    single = insert_job(d.problem, d.plan, d.request(),
                        InsertParams(time_budget=0, relocate=RelocateLimits(chains=0)))
    assert single.mode == InsertMode.UNPLACED  # no single move (nor two) makes room
    found = insert_job(d.problem, d.plan, d.request(),
                       InsertParams(time_budget=0, relocate=RelocateLimits()))
    assert found.mode == InsertMode.RELOCATE
    assert_valid(found.problem, found.plan)
    moved = {rid: tech for rid, tech in where(found.plan).items()
             if where(d.plan).get(rid) != tech}
    # A job of A went to B, and a job of B to C; the new job is A's.
    assert moved.pop("N") == "A"
    assert sorted(moved.values()) == ["B", "C"]
    assert {rid[0] for rid in moved} == {"A", "B"}
    assert not found.plan.unassigned


def test_a_job_of_the_same_route_changing_place_makes_room() -> None:
    # A alone: A1 (km 5) then A2 (km 10, due to start by 09:20). The new job (km 8)
    # is due by 09:00: first it pushes A1, and so A2, past 09:20; after A1 it is
    # late. A1 served last makes room, and nobody changes technician.
    w = LineWorld()
    jobs = [w.job("A1", 5, 60),
            dataclasses.replace(w.job("A2", 10, 60), windows=(TimeWindow(t(0), t(80)),))]
    here = w.at(8, "new")
    problem = w.problem([w.technician("A", 0, skills=[GAS])], jobs,
                        shifts=[shift("A", 0, 300)])
    plan = evaluate_routes(problem, {"S-A": ["A1", "A2"]})
    new = ServiceRequest(id="N", location=here, duration=timedelta(hours=1),
                         required_skills=(GAS,), windows=(TimeWindow(t(0), t(60)),))
    plain = insert_job(problem, plan, new, InsertParams(time_budget=0))
    assert plain.mode == InsertMode.UNPLACED
    found = insert_job(problem, plan, new,
                       InsertParams(time_budget=0, relocate=RelocateLimits()))
    assert found.mode == InsertMode.RELOCATE
    assert_valid(found.problem, found.plan)
    assert [list(r.request_ids) for r in found.plan.routes] == [["N", "A2", "A1"]]
