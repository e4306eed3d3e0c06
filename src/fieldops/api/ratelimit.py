"""A per-key request limit kept in the worker process (the public tracking page's).

Why in-process and not in the database: the tracking page is public and read
often (a customer refreshing while waiting), so a database write per page view to
count requests would cost more than the page itself, and a limiter must not turn
into the thing that takes the database down. The price is that each gunicorn
worker counts on its own: with ``W`` workers a token gets at most ``W`` times the
limit, which still bounds a runaway client; ``docs/customers.md`` says so.

The key is the SHA-256 of the token (the limiter never holds the secret); at most
``max_keys`` keys are remembered, the least recently seen forgotten first, so a
flood of made-up tokens cannot grow the memory.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

#: Keys remembered at most (about 200 bytes each).
MAX_KEYS = 10_000


@dataclass
class RateLimiter:
    """At most ``limit`` hits per key within any ``period`` seconds (sliding window).

    Parameters
    ----------
    limit
        Hits allowed per key in one period.
    period
        Length of the sliding window, seconds.
    max_keys
        Keys remembered at once (least recently seen dropped first).
    clock
        Monotonic seconds (a test passes its own).
    """

    limit: int
    period: float
    max_keys: int = MAX_KEYS
    clock: Callable[[], float] = time.monotonic
    _hits: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, secret: str) -> float:
        """Count one hit of ``secret``; returns 0 when allowed, else the seconds to
        wait before the next hit is allowed (the hit is then not counted)."""
        key = hashlib.sha256(secret.encode("utf-8")).hexdigest()
        now = self.clock()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.period:
                hits.popleft()
            wait = 0.0
            if len(hits) >= self.limit:
                wait = hits[0] + self.period - now
            else:
                hits.append(now)
            self._hits[key] = hits
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
        return wait


def retry_after(wait: float) -> str:
    """``Retry-After`` seconds (a whole number, at least 1)."""
    return str(max(1, math.ceil(wait)))
