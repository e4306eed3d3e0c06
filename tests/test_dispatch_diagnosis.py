"""diagnosis.py: before the search, a job no plan can contain leaves with the first
reason that proves it (every plan through the validator inside ``solve``)."""

from __future__ import annotations

import pytest

from fieldops.domain import Skill, TimeWindow

from line_world import LineWorld, reasons, shift, solve, t


def _window(start: float, end: float) -> TimeWindow:
    return TimeWindow(t(start), t(end))





def test_skill_nobody_has_is_diagnosed() -> None:
    w = LineWorld()
    a = w.technician("A", 0, [Skill("hvac", 3)])
    job = w.job("J", 1, required_skills=(Skill("gas", 1),))
    plan = solve(w.problem([a], [job]))
    assert reasons(plan) == {"J": "no_qualified_technician"}


def test_window_outside_every_shift_is_diagnosed() -> None:
    # Window 18:00–19:00 (minutes 600–660); the shift ends at 17:00 (minute 540).
    w = LineWorld()
    a = w.technician("A", 0)
    job = w.job("J", 5, windows=(_window(600, 660),))
    plan = solve(w.problem([a], [job]))
    assert reasons(plan) == {"J": "outside_all_shifts"}


def test_pin_that_cannot_be_met_is_diagnosed() -> None:
    # Pinned at 08:05 but B needs 49 minutes to get there from 08:00.
    w = LineWorld()
    b = w.technician("B", 50)
    job = w.job("J", 1, pinned_technician="B", pinned_start=t(5))
    plan = solve(w.problem([b], [job]))
    assert reasons(plan) == {"J": "pin_infeasible"}


def test_every_technician_excluded_is_diagnosed() -> None:
    w = LineWorld()
    a, b = w.technician("A", 0), w.technician("B", 0)
    job = w.job("J", 1, excluded_technicians=("A", "B"))
    plan = solve(w.problem([a, b], [job]))
    assert reasons(plan) == {"J": "excluded_everywhere"}


def test_required_technician_without_the_skill_is_diagnosed() -> None:
    # A holds the skill but the job requires B, who does not.
    w = LineWorld()
    a, b = w.technician("A", 0, [Skill("gas", 2)]), w.technician("B", 0)
    job = w.job("J", 1, required_skills=(Skill("gas", 1),), required_technicians=("B",))
    plan = solve(w.problem([a, b], [job]))
    assert reasons(plan) == {"J": "required_technician_unavailable"}


def test_site_too_far_to_serve_and_return_in_the_shift_is_diagnosed() -> None:
    # 300 km out is 300 minutes each way: 600 minutes of driving and 30 of work do not
    # fit a 540-minute shift, although the window (all day) overlaps it.
    w = LineWorld()
    a = w.technician("A", 0)
    far, near = w.job("FAR", 300, windows=()), w.job("NEAR", 200, windows=())
    plan = solve(w.problem([a], [far, near]))
    assert reasons(plan) == {"FAR": "unreachable_in_time"}


@pytest.mark.parametrize(("load", "reason"), [(5.0, None), (12.0, "exceeds_capacity")])
def test_load_above_every_van_is_diagnosed(load: float, reason: str | None) -> None:
    w = LineWorld()
    a, b = w.technician("A", 0, capacity=10.0), w.technician("B", 5, capacity=8.0)
    job = w.job("J", 1, load=load)
    plan = solve(w.problem([a, b], [job]))
    assert reasons(plan) == ({} if reason is None else {"J": reason})


def test_first_failing_check_is_the_one_reported() -> None:
    # Nobody has the skill and the window is after every shift: the skill check
    # runs first, so that is the reason given.
    w = LineWorld()
    a = w.technician("A", 0)
    job = w.job("J", 1, required_skills=(Skill("gas", 1),), windows=(_window(600, 660),))
    plan = solve(w.problem([a], [job], shifts=[shift("A")]))
    assert reasons(plan) == {"J": "no_qualified_technician"}


def test_jobs_sharing_skills_keep_their_own_technician_restrictions() -> None:
    # The candidate shifts are worked out once per skill requirement and set of
    # technician restrictions: jobs with the same skills but another exclusion,
    # requirement or pin must not get each other's shifts.
    from fieldops.solver.dispatch.model import build_model

    w = LineWorld()
    gas = (Skill("gas", 1),)
    techs = [w.technician(k, 0, [Skill("gas", 2 if k == "C" else 1)]) for k in "ABC"]
    techs.append(w.technician("D", 0))  # no gas
    jobs = [w.job("ANY", 1, required_skills=gas),
            w.job("NOT-A", 2, required_skills=gas, excluded_technicians=("A",)),
            w.job("ONLY-C", 3, required_skills=gas, required_technicians=("C", "D")),
            w.job("PIN-B", 4, required_skills=gas, pinned_technician="B"),
            w.job("ANY-2", 5, required_skills=gas),
            w.job("LEVEL-2", 6, required_skills=(Skill("gas", 2),))]
    model = build_model(w.problem(techs, jobs), search_jobs=0)
    shifts = w.problem(techs, jobs).shifts
    allowed = {jobs[i].id: [shifts[k].technician_id for k in ks]
               for i, ks in enumerate(model.diagnosis.allowed)}
    assert allowed == {"ANY": ["A", "B", "C"], "NOT-A": ["B", "C"], "ONLY-C": ["C"],
                       "PIN-B": ["B"], "ANY-2": ["A", "B", "C"], "LEVEL-2": ["C"]}
