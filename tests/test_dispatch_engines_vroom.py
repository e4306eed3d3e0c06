"""engines/vroom.py: the VROOM mapping, its exploration and time rules, its child
interpreter (other threads keep running, a stop ends it)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest

from fieldops.solver.dispatch import SolveParams, solve_dispatch
from fieldops.solver.dispatch.engines import vroom as vroom_engine
from fieldops.validators.dispatch import assert_valid

from line_world import check_flat_routes, solver_info, tiny_flat

#: The budget of a tiny day's VROOM child: its search ends in milliseconds whatever
#: the budget, but starting the child interpreter took over the 0.5 s + 2 s grace
#: the tests once gave it when CI's machine was crowded (load about 20).
TINY_BUDGET = 10.0


def test_vroom_routes_respect_windows_and_allowed_vehicles() -> None:
    flat = tiny_flat()
    result = vroom_engine.solve(flat, TINY_BUDGET)
    assert result.feasible
    check_flat_routes(flat, result.routes)


def test_vroom_takes_breaks_into_account() -> None:
    flat = tiny_flat(breaks=True)
    result = vroom_engine.solve(flat, TINY_BUDGET)
    check_flat_routes(flat, result.routes)


def test_vroom_explores_less_when_its_searches_cannot_finish() -> None:
    # A day whose searches fit the time keeps the full level; a large day (or a
    # short budget) gets fewer, longer searches. The rule grows with jobs².
    assert vroom_engine.exploration_for(1000, 52.0) == vroom_engine.EXPLORATION
    assert vroom_engine.exploration_for(2000, 52.0) == vroom_engine.CROWDED_EXPLORATION
    assert vroom_engine.exploration_for(1000, 8.0) == vroom_engine.CROWDED_EXPLORATION
    assert vroom_engine.exploration_for(2000, 300.0) == vroom_engine.EXPLORATION
    assert vroom_engine.CROWDED_EXPLORATION < vroom_engine.EXPLORATION
    # Past HUGE_JOBS the least exploration, however long the budget.
    assert vroom_engine.exploration_for(5000, 300.0) == vroom_engine.HUGE_EXPLORATION
    assert vroom_engine.exploration_for(3000, 300.0) == vroom_engine.EXPLORATION
    assert vroom_engine.HUGE_EXPLORATION < vroom_engine.CROWDED_EXPLORATION
    # The engine uses the rule unless told a level; the level reaches VROOM.
    flat = tiny_flat()
    default = vroom_engine.solve(flat, TINY_BUDGET)
    assert default.details["exploration"] == vroom_engine.exploration_for(flat.n_jobs, TINY_BUDGET)
    check_flat_routes(flat, default.routes)
    told = vroom_engine.solve(flat, TINY_BUDGET, exploration=1)
    assert told.details["exploration"] == 1
    check_flat_routes(flat, told.routes)


def test_vroom_child_asks_for_a_share_of_what_is_left() -> None:
    # 10 s granted, the child read its input 1 s after it was sent: 90 % of 9 s.
    assert vroom_engine.child_timeout(10.0, 100.0, 101.0) == pytest.approx(
        vroom_engine.TIMEOUT_FRACTION * 9.0)
    assert vroom_engine.TIMEOUT_FRACTION < 1.0
    assert vroom_engine.child_timeout(10.0, 100.0, 100.0) < 10.0
    # Clocks that disagree never add time; a spent budget still gives VROOM a moment.
    assert vroom_engine.child_timeout(10.0, 100.0, 99.0) == pytest.approx(
        vroom_engine.TIMEOUT_FRACTION * 10.0)
    assert vroom_engine.child_timeout(1.0, 100.0, 105.0) == 0.05


def test_vroom_leaves_the_other_threads_running() -> None:
    """VROOM holds the GIL while it searches; run in-process it froze the API
    worker's lease heartbeat for the whole engine budget. The demo day (lunch
    breaks) goes to VROOM, which must now run beside a ticking thread."""
    import time

    from fieldops.data.sample import load_demo_day

    problem = load_demo_day()
    ticks: list[float] = []
    done = threading.Event()

    def tick() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.05)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        # 6 s: the child's interpreter start-up is most of a shorter budget on a busy box.
        plan = solve_dispatch(problem, SolveParams(time_limit=6))
    finally:
        done.set()
        ticker.join()
    assert_valid(problem, plan)
    assert max(np.diff(ticks)) < 1.0  # in-process VROOM: one gap as long as its run
    report = solver_info(plan)["engines"]["vroom"]
    assert report["isolated"] is True and report["seconds"] > 1.0


def test_vroom_is_stopped_when_the_caller_asks() -> None:
    import time

    from fieldops.data.sample import load_demo_day
    from fieldops.domain import PlanStatus

    problem = load_demo_day()
    stop = threading.Event()
    timer = threading.Timer(1.0, stop.set)
    started = time.monotonic()
    timer.start()
    plan = solve_dispatch(problem, SolveParams(time_limit=60), stop=stop)
    elapsed = time.monotonic() - started
    timer.cancel()
    assert_valid(problem, plan)
    assert plan.status is PlanStatus.CANCELLED
    assert solver_info(plan)["engines"]["vroom"] == {"stopped": True}
    assert elapsed < 30  # not VROOM's 54 s budget
    assert plan.kpis.jobs_assigned > 0  # the construction is kept


def test_the_child_aims_early_on_a_crowded_machine_and_the_grace_grows_with_the_budget(
) -> None:
    assert vroom_engine.aimed_budget(20.0, load=1.5, cpus=2) == 20.0
    # Load 4.6 on 2 CPUs (the solve's two processes and two more): the whole budget.
    assert vroom_engine.aimed_budget(49.0, load=4.6, cpus=2) == 49.0
    # Load 18 on 2 CPUs: 9 runnable per CPU, the child aims at a third of its budget.
    assert vroom_engine.aimed_budget(18.0, load=18.0, cpus=2) == pytest.approx(6.0)
    # Just past the threshold the square-root cut applies in full.
    assert vroom_engine.aimed_budget(10.0, load=6.0, cpus=2) == pytest.approx(10 / 3 ** 0.5)
    assert vroom_engine.child_grace(5.0) == vroom_engine.CHILD_GRACE_SECONDS
    assert vroom_engine.child_grace(100.0) == pytest.approx(
        vroom_engine.CHILD_GRACE_SHARE * 100.0)


def test_the_child_asks_vroom_for_the_aim_given(monkeypatch: pytest.MonkeyPatch) -> None:
    # ``aim`` is the timeout handed to the child (never more than the budget); the
    # default is the crowding rule's.
    import pickle

    sent: list[float] = []
    real = pickle.dumps

    def dumps(obj: object, *args: object, **kwargs: object) -> bytes:
        if isinstance(obj, tuple) and len(obj) == 5:
            sent.append(obj[1])
        return real(obj, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(vroom_engine.pickle, "dumps", dumps)
    flat = tiny_flat()
    check_flat_routes(flat, vroom_engine.solve(flat, 3.0, aim=0.3).routes)
    # A budget below the aim caps it; the budget leaves the child time to start
    # (VROOM answers a tiny day at once, whatever it is granted).
    check_flat_routes(flat, vroom_engine.solve(flat, 2.5, aim=4.0).routes)
    assert sent == [0.3, 2.5]


def test_the_child_reads_its_input_without_importing_the_solver() -> None:
    # The child interpreter's start-up counts against VROOM's budget: it imports
    # this module, and unpickles a VroomInput, but not the model, OR-Tools or geo.
    probe = ("import pickle, sys\n"
             "from fieldops.solver.dispatch.engines import vroom\n"
             "pickle.loads(sys.stdin.buffer.read())\n"
             "heavy = ('ortools', 'fieldops.solver.dispatch.solve',\n"
             "         'fieldops.solver.dispatch.engines.flat', 'fieldops.geo')\n"
             "heavy = [m for m in heavy if m in sys.modules]\n"
             "print(','.join(heavy))\n")
    payload = pickle.dumps(vroom_engine.vroom_input(tiny_flat(breaks=True)))
    done = subprocess.run([sys.executable, "-c", probe], input=payload, capture_output=True,
                          check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.stdout.decode().strip() == ""


def test_the_package_still_exports_its_names_on_first_use() -> None:
    import fieldops.solver.dispatch as dispatch

    assert dispatch.solve_dispatch is solve_dispatch
    assert dispatch.SolveParams is SolveParams
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        dispatch.nothing  # noqa: B018
