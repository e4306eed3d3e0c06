"""Ratings summarised per technician and per local day (domain/satisfaction.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fieldops.domain.errors import FieldError
from fieldops.domain.satisfaction import Rating, check_score, summarise


def test_summary_per_technician_and_local_day() -> None:
    ratings = [
        Rating("r1", 5, datetime(2026, 3, 2, 9, tzinfo=UTC), "t1"),
        # 23:30 UTC is already 3 March in Berlin: it counts for that local day.
        Rating("r2", 3, datetime(2026, 3, 2, 23, 30, tzinfo=UTC), "t1"),
        Rating("r3", 4, datetime(2026, 3, 3, 10, tzinfo=UTC), "t2"),
        Rating("r4", 1, datetime(2026, 3, 3, 11, tzinfo=UTC)),
    ]
    s = summarise(ratings, "Europe/Berlin", names={"t1": "Ann"})
    assert (s.count, s.average) == (4, 3.25)
    by_tech = {g.key: g for g in s.by_technician}
    assert list(by_tech) == ["(none)", "t1", "t2"]
    assert (by_tech["t1"].count, by_tech["t1"].average, by_tech["t1"].label) == (2, 4.0, "Ann")
    assert by_tech["t1"].scores == (0, 0, 1, 0, 1)
    assert [(g.key, g.count) for g in s.by_day] == [("2026-03-02", 1), ("2026-03-03", 3)]
    utc = summarise(ratings)
    assert [(g.key, g.count) for g in utc.by_day] == [("2026-03-02", 2), ("2026-03-03", 2)]


def test_empty_summary() -> None:
    s = summarise([])
    assert (s.count, s.average, s.by_technician, s.by_day) == (0, None, (), ())


@pytest.mark.parametrize("bad", [0, 6, 3.5, "4", True, None])
def test_score_must_be_a_whole_number_from_1_to_5(bad: object) -> None:
    with pytest.raises(FieldError) as err:
        check_score(bad)
    assert err.value.field == "rating"


def test_rating_needs_an_aware_instant() -> None:
    with pytest.raises(FieldError, match="visit_at"):
        Rating("r1", 4, datetime(2026, 3, 2, 9))
    assert check_score(5) == 5
