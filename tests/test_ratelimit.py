"""The per-token limiter of the public tracking page (api/ratelimit.py)."""

from __future__ import annotations

from fieldops.api.ratelimit import RateLimiter, retry_after


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_per_key() -> None:
    clock = Clock()
    limiter = RateLimiter(limit=3, period=60.0, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.now += 10
    assert limiter.hit("a") == 50.0  # the first hit leaves the window in 50 s
    assert limiter.hit("b") == 0.0  # another key has its own budget
    clock.now += 50  # the three first hits have left the window; the refused one never counted
    assert [limiter.hit("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.hit("a") == 60.0


def test_memory_is_bounded_least_recently_seen_first() -> None:
    clock = Clock()
    limiter = RateLimiter(limit=1, period=60.0, max_keys=2, clock=clock)
    assert limiter.hit("a") == 0.0
    assert limiter.hit("b") == 0.0
    assert limiter.hit("a") > 0  # "a" seen again: "b" is now the least recent
    assert limiter.hit("c") == 0.0  # forgets "b"
    assert limiter.hit("a") > 0
    assert limiter.hit("b") == 0.0  # forgotten: counts afresh
    assert len(limiter._hits) == 2
    assert all(len(key) == 64 for key in limiter._hits)  # only hashes are held


def test_retry_after_is_a_whole_second_at_least() -> None:
    assert retry_after(0.2) == "1"
    assert retry_after(10.0) == "10"
    assert retry_after(10.1) == "11"
