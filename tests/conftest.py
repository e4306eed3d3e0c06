"""Fixtures shared by the solver tests."""

from __future__ import annotations

import pytest

from fieldops.data.sample import load_demo_day
from fieldops.domain import DispatchProblem

#: Test files whose tests take minutes each (schemathesis runs 100 examples per API
#: operation). Under ``pytest -n 2`` a worker takes tests in collection order, so
#: these go first: collected late, one worker ran them alone at the end while the
#: other had nothing left (about 170 s of a 960 s CI run lost).
LONG_FIRST = ("tests/api/test_schemathesis.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the :data:`LONG_FIRST` files to the front, keeping every other order."""
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONG_FIRST.index(path) if path in LONG_FIRST else len(LONG_FIRST)

    items.sort(key=rank)


@pytest.fixture(scope="session")
def demo_problem() -> DispatchProblem:
    """The bundled demo day (more work than shift time, lunch breaks): read once."""
    return load_demo_day()
