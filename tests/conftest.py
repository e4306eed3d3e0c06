"""Fixtures shared by the solver tests."""

from __future__ import annotations

import pytest

from fieldops.data.sample import load_demo_day
from fieldops.domain import DispatchProblem


@pytest.fixture(scope="session")
def demo_problem() -> DispatchProblem:
    """The bundled demo day (more work than shift time, lunch breaks): read once."""
    return load_demo_day()
