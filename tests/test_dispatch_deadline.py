"""The one clock of a dispatch solve (``fieldops.solver.dispatch.deadline``)."""

from __future__ import annotations

import time

import pytest

from fieldops.solver.dispatch.deadline import (
    EXTRACTION_BASE_SECONDS,
    EXTRACTION_MAX_SHARE,
    EXTRACTION_SECONDS_PER_JOB,
    MIN_SOLVE_SECONDS,
    OUTPUT_BASE_SECONDS,
    Deadline,
    extraction_margin,
    output_margin,
)


def test_remaining_and_shares_count_down_from_the_start() -> None:
    now = time.monotonic()
    deadline = Deadline(now - 4.0, 10.0)  # started 4 s ago
    assert deadline.remaining() == pytest.approx(6.0, abs=0.05)
    assert deadline.elapsed() == pytest.approx(4.0, abs=0.05)
    assert deadline.share(0.5) == pytest.approx(3.0, abs=0.05)
    assert deadline.end == pytest.approx(now + 6.0, abs=1e-9)
    assert not deadline.reached()
    assert Deadline(now - 11.0, 10.0).reached()
    assert Deadline(now - 11.0, 10.0).remaining() < 0


def test_keep_back_is_the_same_clock_earlier() -> None:
    deadline = Deadline(time.monotonic(), 10.0)
    search = deadline.keep_back(1.5)
    assert search.start == deadline.start
    assert search.limit == pytest.approx(8.5)
    assert deadline.remaining() - search.remaining() == pytest.approx(1.5, abs=0.01)


def test_wall_clock_round_trip_keeps_the_instant_and_the_bounds() -> None:
    deadline = Deadline.starting_now(5.0)
    instant = deadline.wall_clock()
    assert instant == pytest.approx(time.time() + 5.0, abs=0.05)
    again = Deadline.from_wall_clock(instant, 60.0)
    assert again.limit == pytest.approx(5.0, abs=0.05)
    # Never past the search's own limit, never under the floor when started late.
    assert Deadline.from_wall_clock(instant, 2.0).limit == 2.0
    assert Deadline.from_wall_clock(time.time() - 3.0, 10.0, at_least=0.5).limit == 0.5


def test_extraction_margin_grows_with_jobs_up_to_a_share_of_the_limit() -> None:
    assert extraction_margin(0, 60.0) == pytest.approx(EXTRACTION_BASE_SECONDS)
    assert extraction_margin(1000, 60.0) == pytest.approx(
        EXTRACTION_BASE_SECONDS + 1000 * EXTRACTION_SECONDS_PER_JOB)
    assert extraction_margin(1000, 2.0) == pytest.approx(EXTRACTION_MAX_SHARE * 2.0)


def test_output_margin_grows_with_the_jobs_from_its_base() -> None:
    assert output_margin(0) == OUTPUT_BASE_SECONDS
    assert output_margin(5000) > output_margin(1000) > output_margin(0)
    assert output_margin(1000, per_job=0.002) == pytest.approx(OUTPUT_BASE_SECONDS + 2.0)


def test_solve_limit_is_what_is_left_less_what_follows_the_solve() -> None:
    now = time.monotonic()
    assert Deadline(now - 3.0, 10.0).solve_limit(2.0) == pytest.approx(5.0, abs=0.05)
    # The input took the whole limit: the solve still gets its minimum.
    assert Deadline(now - 30.0, 10.0).solve_limit(2.0) == MIN_SOLVE_SECONDS
