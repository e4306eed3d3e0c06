"""The roster solve's one time budget (solver/roster/deadline.py)."""

from __future__ import annotations

import threading

from fieldops.solver.roster.deadline import Deadline


def test_share_and_shortened_keep_the_start_and_the_stop_event() -> None:
    stop = threading.Event()
    d = Deadline(start=100.0, end=130.0, stop=stop)
    third = d.share(1 / 3)
    assert (third.start, third.end, third.stop) == (100.0, 110.0, stop)
    early = d.shortened(2.0)
    assert (early.start, early.end, early.stop) == (100.0, 128.0, stop)


def test_left_counts_down_and_stopped_follows_the_event() -> None:
    stop = threading.Event()
    d = Deadline.after(60.0, stop)
    assert 59.0 < d.left() <= 60.0
    assert 0.0 <= d.elapsed() < 1.0
    assert not d.stopped()
    stop.set()
    assert d.stopped()
    assert not Deadline.after(1.0).stopped()
    assert Deadline.after(-1.0).left() < 0
