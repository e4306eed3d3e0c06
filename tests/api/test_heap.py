"""``fieldops serve`` freezes each worker's start-up heap (:mod:`fieldops.api.heap`)."""

from __future__ import annotations

import gc

from flask import Flask

from fieldops.api.heap import freeze_startup_heap

from .conftest import make_app


def test_a_full_collection_after_the_freeze_walks_a_small_part_of_the_heap(
        _session_databases: dict[str, str], _app_cache: dict[str, Flask]) -> None:
    # Without the freeze a full collection walks every object of a worker's start-up
    # heap (~250 000 objects, 120-190 ms of CPU: the load benchmark's stalls). The
    # suite's shared SQLite app (the database does not matter here) saves a build.
    url = _session_databases["sqlite"]
    if url not in _app_cache:
        _app_cache[url] = make_app(url)
    app = _app_cache[url]
    gc.collect()
    before = len(gc.get_objects())
    try:
        frozen = freeze_startup_heap(app)
        with app.test_client() as client:
            assert client.get("/api/v1/openapi.json").status_code == 200
        gc.collect()
        after = len(gc.get_objects())
    finally:
        gc.unfreeze()  # this test process's heap is not a server's: collect it again
    assert frozen >= 0.99 * before  # all alive here is frozen (less garbage collected)
    assert after < before / 20, (before, frozen, after)  # a few per cent still walked
    assert gc.get_freeze_count() == 0
