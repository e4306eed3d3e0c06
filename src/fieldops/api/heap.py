"""Keep Python's cyclic garbage collector from stalling a serving process.

A worker of ``fieldops serve`` holds about 250 000 GC-tracked objects once its app
is built (Flask, SQLAlchemy, OR-Tools, pandas, matplotlib, ... modules, classes and
functions), none of which will ever be garbage. CPython's oldest-generation
collection walks every one of them: 130-230 ms of CPU each time, during which every
thread of the worker waits for the GIL. Under the load benchmark that came every
10-30 s per worker: the few-hundred-millisecond stalls behind the p99 misses of the
three-phase run (issue 19, benchmarks/README.md). Requests leave few long-lived
objects, so once the start-up heap is out of the collector's sight
(:func:`gc.freeze`) a full collection
walks 10-30 000 objects: 3-25 ms measured under the same benchmark.
"""

from __future__ import annotations

import gc
import importlib
import logging

from flask import Flask

log = logging.getLogger(__name__)

#: Modules the API imports on first use (inside functions); importing them before
#: the freeze keeps their objects out of the collector's walks too.
WARM_MODULES = (
    "fieldops.services.live",
    "fieldops.services.rosters",
    "fieldops.services.intraday",
    "fieldops.services.slots",
    "fieldops.calendar",
    "fieldops.reports",
)


def freeze_startup_heap(app: Flask) -> int:
    """Warm the app (lazy imports, the OpenAPI document), collect once, then freeze
    every object alive now so later collections skip it; returns how many objects
    were frozen.

    Call it once per serving process, after the app is built (after the fork for a
    pre-fork server). Not for tests or libraries: frozen objects are never
    cycle-collected, which is right only for a process's long-lived start-up state.
    """
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # an optional extra not installed: nothing to warm
            log.debug("heap warm-up: %s not imported (%s)", name, exc)
    with app.test_request_context():
        api = app.extensions.get("flask-smorest", {}).get("apis", {})
        for entry in api.values():  # the OpenAPI document is built on first request
            spec = getattr(entry.get("ext_obj"), "spec", None)
            if spec is not None:
                spec.to_dict()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
