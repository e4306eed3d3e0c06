"""One test (or a few) per constraint family of the dispatch model.

Every instance is small enough to solve by hand on the line world of
``tests/line_world.py`` (1 km = 1 minute of driving, times are minutes after 08:00),
and every plan is checked by the independent validator inside ``solve``.
"""

from __future__ import annotations

from datetime import timedelta

from fieldops.domain import ContractTier, LunchBreak, Priority, Skill, StepKind

from line_world import LineWorld, assignment, job_step, mins, reasons, shift, solve, t


# --------------------------------------------------------------------- skills
def test_skill_levels_decide_who_can_go() -> None:
    # A lives next to the job but holds hvac at level 1; the job needs level 2, so
    # only B (level 3, 40 km away) may take it despite the longer drive.
    w = LineWorld()
    a = w.technician("A", 0, [Skill("hvac", 1)])
    b = w.technician("B", 40, [Skill("hvac", 3)])
    job = w.job("J", 1, required_skills=(Skill("hvac", 2),))
    plan = solve(w.problem([a, b], [job]))
    assert assignment(plan) == {"J": "B"}


def test_required_and_excluded_technicians() -> None:
    # Both are qualified and A is nearer; exclusion sends J1 to B, and J2's
    # requirement sends it to B as well. J3 excludes both: nobody is left.
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", 30)
    j1 = w.job("J1", 2, excluded_technicians=("A",))
    j2 = w.job("J2", 3, required_technicians=("B",))
    j3 = w.job("J3", 4, excluded_technicians=("A", "B"))
    plan = solve(w.problem([a, b], [j1, j2, j3]))
    assert assignment(plan) == {"J1": "B", "J2": "B"}
    assert reasons(plan) == {"J3": "excluded_everywhere"}


# --------------------------------------------------------------- time windows
def test_second_appointment_window_is_used_when_first_is_out_of_reach() -> None:
    # The site is 30 minutes away: the 08:00–08:10 window cannot be reached by a
    # technician leaving at 08:00, so service starts when the second window opens
    # at 10:00 (minute 120).
    w = LineWorld()
    a = w.technician("A", 0)
    job = w.job("J", 30, windows=(_window(0, 10), _window(120, 180)))
    plan = solve(w.problem([a], [job]))
    step = job_step(plan, "J")
    assert step.start == t(120)
    # Leaving at 09:30 is enough; no point waiting at the site.
    assert step.arrival == t(120) and step.wait == timedelta(0)


# --------------------------------------------------------- shifts and return
def test_route_respects_shift_and_returns_to_end_location() -> None:
    # Shift 08:00–12:00 ends at a depot at km 10. Each job takes 100 minutes at
    # km 5: two fit (5 + 100 + 100 + 5 = 210 min), a third would need 310 > 240.
    w = LineWorld()
    a = w.technician("A", 0)
    depot = w.at(10, "depot")
    jobs = [w.job(f"J{i}", 5, duration=100) for i in range(3)]
    sh = shift("A", 0, 240, end_location=depot)
    plan = solve(w.problem([a], jobs, shifts=[sh]))
    assert plan.kpis.jobs_assigned == 2
    assert [u.reason.value for u in plan.unassigned] == ["not_enough_capacity"]
    route = plan.routes[0]
    end = route.steps[-1]
    assert end.kind is StepKind.END and end.location == depot
    assert end.end <= t(240)


def test_overtime_is_allowed_up_to_the_maximum_and_paid_for() -> None:
    # A 120-minute job 15 minutes away in a 08:00–10:00 shift: back at 10:30, so
    # 30 minutes of overtime. With no overtime allowed it cannot be done at all.
    w = LineWorld()
    a = w.technician("A", 0)
    job = w.job("J", 15, duration=120)
    plan = solve(w.problem([a], [job], shifts=[shift("A", 0, 120, overtime=60)]))
    assert plan.routes[0].kpis.overtime == mins(30)
    assert plan.penalties["overtime"] > 0
    strict = solve(w.problem([a], [job], shifts=[shift("A", 0, 120, overtime=0)]))
    assert reasons(strict) == {"J": "unreachable_in_time"}


# --------------------------------------------------------------------- breaks
def test_lunch_break_is_taken_inside_its_window_between_jobs() -> None:
    # J1 is fixed 08:00–11:30 at home. J2 must start 11:30–12:00 and lasts 2 h.
    # The 30-minute lunch must start 11:30–13:00 and cannot overlap service: after
    # J2 (13:30 at the earliest) is too late, so the only plan is lunch 11:30–12:00
    # and J2 starting at 12:00.
    w = LineWorld()
    a = w.technician("A", 0)
    j1 = w.job("J1", 0, duration=210, windows=(_window(0, 0),))
    j2 = w.job("J2", 0, duration=120, windows=(_window(210, 240),))
    lunch = LunchBreak(mins(30), t(210), t(300))
    plan = solve(w.problem([a], [j1, j2], shifts=[shift("A", lunch=lunch)]))
    steps = plan.routes[0].steps
    brk = next(s for s in steps if s.kind is StepKind.BREAK)
    assert (brk.start, brk.end) == (t(210), t(240))
    assert job_step(plan, "J2").start == t(240)


# ----------------------------------------------------------------- priorities
def test_priority_decides_which_job_is_left_out() -> None:
    # Room for one 5-hour job in an 8-hour shift. The critical job is further away
    # (more travel) but dropping it costs more than any amount of travel.
    w = LineWorld()
    a = w.technician("A", 0)
    low = w.job("LOW", 1, duration=300, priority=Priority.LOW)
    crit = w.job("CRIT", 60, duration=300, priority=Priority.CRITICAL)
    plan = solve(w.problem([a], [low, crit], shifts=[shift("A", 0, 480)]))
    assert assignment(plan) == {"CRIT": "A"}
    assert reasons(plan) == {"LOW": "not_enough_capacity"}


# ------------------------------------------------------------------------ SLA
def test_sla_deadline_reorders_the_route() -> None:
    # NEAR (km 10) and GOLD (km 30), 60 minutes each. Travel alone prefers NEAR
    # first (10 + 20 + 30 = 60 km) over GOLD first (30 + 20 + 10 = 60 km: equal),
    # so make NEAR-first strictly cheaper by putting NEAR on the way home: home at 0,
    # NEAR at 5, GOLD at 30. NEAR first: 5+25+30 = 60; GOLD first: 30+25+5 = 60.
    # Travel ties; the SLA breaks the tie decisively: GOLD's deadline is 09:00
    # (created 05:00 + 4 h) and only GOLD-first meets it (arrives 08:30).
    w = LineWorld()
    a = w.technician("A", 0)
    gold = ContractTier("gold", response_time=timedelta(hours=4))
    near = w.job("NEAR", 5, duration=60)
    urgent = w.job("GOLD", 30, duration=60, contract_tier="gold", created_at=t(-180))
    plan = solve(w.problem([a], [near, urgent], tiers=[gold]))
    assert plan.routes[0].request_ids == ("GOLD", "NEAR")
    step = job_step(plan, "GOLD")
    assert step.sla_deadline == t(60) and step.sla_lateness == timedelta(0)
    assert plan.kpis.sla_met == 1 and plan.kpis.sla_breached == 0


def test_sla_breach_is_reported_when_unavoidable() -> None:
    # Deadline 08:10 but the site is 30 minutes away: 20 minutes late.
    w = LineWorld()
    a = w.technician("A", 0)
    tier = ContractTier("platinum", response_time=timedelta(hours=1))
    job = w.job("J", 30, contract_tier="platinum", created_at=t(-50))
    plan = solve(w.problem([a], [job], tiers=[tier]))
    assert job_step(plan, "J").sla_lateness == mins(20)
    assert plan.kpis.sla_breached == 1 and plan.penalties["sla"] > 0


# ---------------------------------------------------------------- preferences
def test_preferred_technician_wins_a_tie() -> None:
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", 0)
    job = w.job("J", 10, preferred_technicians=("B",))
    plan = solve(w.problem([a, b], [job]))
    assert assignment(plan) == {"J": "B"}
    assert plan.penalties["preference"] == 0


def test_preference_is_soft_against_a_long_detour() -> None:
    # B is 60 km further away: 120 extra minutes of driving cost more than the
    # 30-minute (1 800 s) non-preference penalty, so A goes and the penalty is paid.
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", 70)
    job = w.job("J", 10, preferred_technicians=("B",))
    plan = solve(w.problem([a, b], [job]))
    assert assignment(plan) == {"J": "A"}
    assert plan.penalties["preference"] == 1800


# ----------------------------------------------------------------------- pins
def test_pin_forces_technician_and_frozen_start() -> None:
    # A is closer, but the job is pinned to B at 10:00 (work promised to the minute).
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", 50)
    job = w.job("J", 1, pinned_technician="B", pinned_start=t(120))
    plan = solve(w.problem([a, b], [job]))
    assert assignment(plan) == {"J": "B"}
    assert job_step(plan, "J").start == t(120)


# ------------------------------------------------------------------- capacity
def test_van_capacity_limits_the_route() -> None:
    # Loads 6 + 6 exceed the van's 10; one job stays out. A load of 20 exceeds
    # every van and is diagnosed before solving.
    w = LineWorld()
    a = w.technician("A", 0, capacity=10)
    jobs = [w.job("J1", 1, load=6), w.job("J2", 2, load=6), w.job("BIG", 3, load=20)]
    plan = solve(w.problem([a], jobs))
    assert plan.kpis.jobs_assigned == 1
    assert reasons(plan)["BIG"] == "exceeds_capacity"
    assert sorted(reasons(plan).values()) == ["exceeds_capacity", "not_enough_capacity"]


# --------------------------------------------------------------------- travel
def test_jobs_on_a_line_are_visited_in_order() -> None:
    # Jobs at km -10, 20 and 30 from home at 0: every tour must reach both ends of
    # the road and come back, so 2 × 10 + 2 × 30 = 80 km is the least possible, and
    # only orders that visit -10 on its own side achieve it (e.g. -10, 20, 30 costs
    # 10 + 30 + 10 + 30 = 80; 20, -10, 30 costs 20 + 30 + 40 + 30 = 120).
    w = LineWorld()
    a = w.technician("A", 0)
    jobs = [w.job("C", 30), w.job("W", -10), w.job("B", 20)]
    plan = solve(w.problem([a], jobs))
    order = plan.routes[0].request_ids
    assert order[0] == "W" or order[-1] == "W"
    assert plan.kpis.travel_distance == 80_000
    assert plan.kpis.travel_time == mins(80)


def _window(start: float, end: float):  # type: ignore[no-untyped-def]
    from fieldops.domain import TimeWindow

    return TimeWindow(t(start), t(end))


# ------------------------------------------------------------------ registry
def test_every_constraint_module_owns_its_rule_and_has_its_own_test() -> None:
    # Each module encodes its rule (apply), prices or checks a timed route, is
    # registered, and has tests/test_dispatch_constraint_<name>.py.
    import importlib
    import pkgutil
    from pathlib import Path

    from fieldops.solver.dispatch import constraints

    registered = set(constraints.ROUTE_PENALTIES) | set(constraints.HARD_CHECKS)
    names = [m.name for m in pkgutil.iter_modules(constraints.__path__)]
    assert len(names) >= 10
    for name in names:
        module = importlib.import_module(f"{constraints.__name__}.{name}")
        assert name == module.NAME
        assert module.apply in constraints.HARD + constraints.SOFT
        rules = [getattr(module, f) for f in ("penalty", "check") if hasattr(module, f)]
        assert rules, f"{name} neither prices nor checks a route"
        if name != "priority":  # priced on the jobs left out, not on a route
            assert registered.intersection(rules), f"{name}'s rule is not registered"
        test = Path(__file__).parent / f"test_dispatch_constraint_{name}.py"
        assert test.exists(), f"{name} has no test file of its own"
    assert set(constraints.PLAN_KEYS.values()) <= set(names)
