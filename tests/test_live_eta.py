"""solver/live/eta.py: expected starts from statuses and delays, without a solve."""

from __future__ import annotations

from fieldops.domain.live import Delay, JobStatus, StatusReport
from fieldops.solver.live import etas, expected_ends, live_routes

from line_world import t
from live_fixtures import Day


def test_nothing_reported_means_the_published_starts() -> None:
    d = Day()
    assert etas(d.live(0)) == {"A1": t(10), "A2": t(50), "A3": t(90), "B1": t(10), "B2": t(60)}


def test_a_delay_pushes_every_following_stop_of_that_technician_only() -> None:
    d = Day()
    day = d.live(60, [StatusReport("A1", JobStatus.ON_SITE, t(10)),
                      Delay("A1", t(70), t(30)),  # A1 runs until 09:10 (planned 08:40)
                      StatusReport("B1", JobStatus.DONE, t(40)),
                      StatusReport("B2", JobStatus.EN_ROUTE, t(40))])
    got = etas(day)
    assert got["A1"] == t(10)  # under way: its actual start
    assert expected_ends(day)["A1"] == t(70)
    assert got["A2"] == t(80)  # 10 min of driving after 09:10
    assert got["A3"] == t(120)  # A2 then ends 09:50, A3 10 min on
    assert got["B2"] == t(60)  # another technician: unchanged


def test_an_early_finish_does_not_pull_the_next_stop_before_its_planned_start() -> None:
    d = Day()
    day = d.live(25, [StatusReport("A1", JobStatus.ON_SITE, t(5)),
                      StatusReport("A1", JobStatus.DONE, t(20))])
    assert etas(day)["A2"] == t(50)  # planned 08:50 (its window opens 08:30)
    assert "A1" not in etas(day)


def test_a_technician_who_has_not_left_is_at_the_last_site_now() -> None:
    d = Day()
    # B finished B1 at 08:40 and at 09:15 still has not reported leaving for B2
    # (20 min away, planned 09:00): B2 is expected at 09:35, never in the past.
    day = d.live(75, [StatusReport("B1", JobStatus.DONE, t(40))])
    assert etas(day)["B2"] == t(95)
    state = live_routes(day)["S-B"]
    assert state.free_at == t(75)
    assert state.free_place == d.problem.request_by_id["B1"].location


def test_a_job_running_over_without_a_report_ends_no_earlier_than_now() -> None:
    d = Day()
    day = d.live(60, [StatusReport("A1", JobStatus.ON_SITE, t(10))])  # planned end 08:40
    assert expected_ends(day)["A1"] == t(60)
    assert etas(day)["A2"] == t(70)


def test_cancelled_jobs_get_no_eta() -> None:
    from fieldops.domain.live import Cancellation

    d = Day()
    assert "A2" not in etas(d.live(0, [Cancellation("A2", t(0))]))
