"""Calendar feeds: content, wire format, two independent parsers, re-publish behaviour."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import ics
import pytest

from fieldops.calendar import (
    EventKind,
    EventStatus,
    FeedEvent,
    ShiftItem,
    events_for_technician,
    job_uid,
    merge_publish,
    render_feed,
    render_shift_calendar,
)
from fieldops.cli import main
from fieldops.domain import DispatchPlan, DispatchProblem, FieldError, Step, StepKind
from fieldops.schemas import dump_json, plan_to_json, problem_to_json

from dispatch_fixtures import DAY, TZ, at, replanned_plan, small_plan, small_problem

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the day before the plan
URL = "https://crm.example/jobs/{}"


def _url(request_id: str) -> str:
    return URL.format(request_id)


@pytest.fixture(scope="module")
def problem() -> DispatchProblem:
    return small_problem()


@pytest.fixture(scope="module")
def plan(problem: DispatchProblem) -> DispatchPlan:
    return small_plan(problem)


def _publish(
    problem: DispatchProblem,
    plan: DispatchPlan,
    previous: Sequence[FeedEvent] = (),
    now: datetime = NOW,
    tech: str = "T1",
) -> list[FeedEvent]:
    current = events_for_technician(problem, plan, tech, job_url=_url, now=now)
    return merge_publish(previous, current, now, horizon=problem.horizon)


def _feed(events: Sequence[FeedEvent], now: datetime = NOW) -> bytes:
    return render_feed(events, calendar_name="Ada, jobs; T1", timezone="Europe/Berlin", now=now)


def _vevents(data: bytes) -> dict[str, Any]:
    """VEVENTs by UID (typed ``Any``: icalendar's property union is too wide to use)."""
    cal = icalendar.Calendar.from_ical(data)
    events = list(cal.walk("VEVENT"))
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids)), "UIDs must be unique"
    return dict(zip(uids, events, strict=True))


def _rid(step: Step) -> str:
    assert step.request_id is not None
    return step.request_id


def _job_steps(plan: DispatchPlan, tech: str) -> list[Step]:
    return [s for r in plan.routes if r.technician_id == tech for s in r.jobs]


# ------------------------------------------------------------------ content
def test_one_event_per_job_and_break_with_plan_times(
    problem: DispatchProblem, plan: DispatchPlan
) -> None:
    events = _vevents(_feed(_publish(problem, plan)))
    jobs = _job_steps(plan, "T1")
    breaks = [
        s
        for r in plan.routes
        if r.technician_id == "T1"
        for s in r.steps
        if s.kind is StepKind.BREAK
    ]
    assert len(events) == len(jobs) + len(breaks)
    for step in jobs:
        ev = events[f"request-{_rid(step)}@fieldops"]
        start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
        assert start == step.start and end == step.end
        assert ev["DTSTART"].params["TZID"] == "Europe/Berlin"
        assert str(ev["STATUS"]) == "CONFIRMED"
        assert int(ev["SEQUENCE"]) == 0
        assert str(ev["URL"]) == _url(_rid(step))
        req = problem.request_by_id[_rid(step)]
        assert str(ev["LOCATION"]) == req.location.address
        assert (ev["GEO"].latitude, ev["GEO"].longitude) == (req.location.lat, req.location.lon)
        assert req.priority.value.upper() in str(ev["SUMMARY"])
        assert f"{req.job_type} – {req.customer_name}" in str(ev["SUMMARY"])
        assert "DTSTAMP" in ev
    r1 = events["request-R1@fieldops"]
    description = str(r1["DESCRIPTION"])
    for expected in (
        "Boiler loses pressure;\ncheck valve, replace seal",
        "hvac (level 2)",
        "Contract: gold",
        "SLA deadline: 2026-11-24 11:00",
        "+49 30 1234567",
    ):
        assert expected in description
    # R1 was created 07:00 local with a 4 h response time.
    (brk,) = breaks
    b = next(e for uid, e in events.items() if uid.startswith("break-"))
    assert (b.decoded("DTSTART"), b.decoded("DTEND")) == (brk.start, brk.end)


def test_calendar_properties_and_vtimezone(problem: DispatchProblem, plan: DispatchPlan) -> None:
    cal = icalendar.Calendar.from_ical(_feed(_publish(problem, plan)))
    assert str(cal["VERSION"]) == "2.0"
    # Both are TEXT (RFC 7986, and RFC 5545's default for X- properties), so they are
    # escaped; icalendar's parser hands these two properties back still escaped.
    assert str(cal["NAME"]) == str(cal["X-WR-CALNAME"]) == "Ada\\, jobs\\; T1"
    assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert cal.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    assert str(cal["X-PUBLISHED-TTL"]) == "PT1H"  # X- properties are parsed as text
    (vtz,) = cal.walk("VTIMEZONE")
    assert str(vtz["TZID"]) == "Europe/Berlin"


def test_wire_format_crlf_folding_escaping(problem: DispatchProblem, plan: DispatchPlan) -> None:
    data = _feed(_publish(problem, plan))
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines), "bare LF or CR"
    assert max(len(line) for line in lines) <= 75
    folded = [line for line in lines if line.startswith(b" ")]
    assert folded, "the long descriptions must have been folded"
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character
    unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
    assert "LOCATION:Hauptstraße 1\\, 10115 Berlin\\; Hinterhaus\r\n" in unfolded
    assert "DESCRIPTION:Boiler loses pressure\\;\\ncheck valve\\, replace seal\\n" in unfolded
    assert "X-WR-CALNAME:Ada\\, jobs\\; T1\r\n" in unfolded


def test_independent_parser_reads_the_same_events(
    problem: DispatchProblem, plan: DispatchPlan
) -> None:
    cal = ics.Calendar(_feed(_publish(problem, plan)).decode("utf-8"))
    by_uid = {e.uid: e for e in cal.events}
    assert len(by_uid) == len(cal.events)
    for step in _job_steps(plan, "T1"):
        ev = by_uid[job_uid(_rid(step))]
        req = problem.request_by_id[_rid(step)]
        assert ev.begin.datetime == step.start and ev.end.datetime == step.end
        assert ev.location == req.location.address  # commas and semicolons unescaped
        assert ev.status == "CONFIRMED"
        assert ev.url == _url(_rid(step))
    assert by_uid["request-R1@fieldops"].description.startswith(
        "Boiler loses pressure;\ncheck valve, replace seal\n"
    )


def test_summer_event_gets_the_summer_offset() -> None:
    # The VTIMEZONE must carry the DST rules for the dates in the feed.
    july = datetime(2026, 7, 1, 9, 0, tzinfo=TZ)
    ev = FeedEvent(uid="x@fieldops", start=july, end=july + timedelta(hours=1), summary="s")
    data = render_feed(
        [ev],
        calendar_name="c",
        timezone="Europe/Berlin",
        window=(july - timedelta(days=1), july + timedelta(days=1)),
    )
    assert b"DTSTART;TZID=Europe/Berlin:20260701T090000" in data
    (parsed,) = ics.Calendar(data.decode()).events
    assert parsed.begin.datetime.astimezone(UTC) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    (ical,) = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert ical.decoded("DTSTART").astimezone(UTC) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)


def test_utc_feed_has_no_vtimezone(problem: DispatchProblem, plan: DispatchPlan) -> None:
    data = render_feed(_publish(problem, plan), calendar_name="c", timezone="UTC", now=NOW)
    assert b"BEGIN:VTIMEZONE" not in data
    r1 = _vevents(data)["request-R1@fieldops"]
    assert r1["DTSTART"].to_ical().endswith(b"Z")
    assert r1.decoded("DTSTART") == at(8, 20)


def test_window_limits_events(problem: DispatchProblem, plan: DispatchPlan) -> None:
    events = _publish(problem, plan)
    assert _vevents(_feed(events, now=DAY + timedelta(days=6))), "6 days later still shown"
    assert not _vevents(_feed(events, now=DAY + timedelta(days=9))), "8+ days back: gone"
    assert not _vevents(_feed(events, now=DAY - timedelta(days=31))), "31+ days ahead: not yet"


def test_travel_blocks_end_at_arrival(problem: DispatchProblem, plan: DispatchPlan) -> None:
    events = events_for_technician(problem, plan, "T2", include_travel=True, now=NOW)
    travel = [e for e in events if e.kind is EventKind.TRAVEL]
    legs = [
        s
        for r in plan.routes
        if r.technician_id == "T2"
        for s in r.steps
        if s.travel_time > timedelta(0)
    ]
    assert len(travel) == len(legs)
    assert sorted((e.start, e.end) for e in travel) == sorted(
        (s.arrival - s.travel_time, s.arrival) for s in legs
    )
    assert len({e.uid for e in events}) == len(events)


def test_plan_without_problem_still_gives_events(plan: DispatchPlan) -> None:
    events = events_for_technician(None, plan, "T1", now=NOW)
    jobs = [e for e in events if e.kind is EventKind.JOB]
    assert [e.summary for e in jobs] == [f"Job {s.request_id}" for s in _job_steps(plan, "T1")]
    assert jobs[0].location == "Hauptstraße 1, 10115 Berlin; Hinterhaus"  # from the step


def test_bad_input_names_the_field(problem: DispatchProblem, plan: DispatchPlan) -> None:
    with pytest.raises(FieldError) as err:
        events_for_technician(problem, plan, "nobody")
    assert err.value.field == "technician_id"
    with pytest.raises(FieldError) as err:
        render_feed([], calendar_name="c", timezone="Mars/Olympus")
    assert err.value.field == "timezone"
    with pytest.raises(FieldError) as err:
        FeedEvent(uid="u", start=datetime(2026, 1, 1), end=datetime(2026, 1, 1), summary="")
    assert err.value.field == "start"
    with pytest.raises(FieldError) as err:
        render_shift_calendar([("a", at(9), at(8), "backwards")], calendar_name="c", timezone="UTC")
    assert err.value.field == "shifts[0].end"


# ------------------------------------------------------------------ re-publishing
def test_second_publish_updates_moves_and_cancels(
    problem: DispatchProblem, plan: DispatchPlan
) -> None:
    first = _publish(problem, plan)
    later = NOW + timedelta(hours=2)
    second = _publish(problem, replanned_plan(problem), previous=first, now=later)

    for data in (_feed(first), _feed(second, now=later)):
        assert len(icalendar.Calendar.from_ical(data).walk("VEVENT")) == len(
            ics.Calendar(data.decode()).events
        )
    one, two = _vevents(_feed(first)), _vevents(_feed(second, now=later))
    assert set(one) == set(two), "re-plans update events, never duplicate or drop them"

    # R1 did not change: byte-identical event, same sequence and stamp.
    assert one["request-R1@fieldops"].to_ical() == two["request-R1@fieldops"].to_ical()
    # R2 moved 30 minutes later: same UID, sequence bumped, new times.
    r2_new = next(s for s in _job_steps(replanned_plan(problem), "T1") if s.request_id == "R2")
    assert int(two["request-R2@fieldops"]["SEQUENCE"]) == 1
    assert two["request-R2@fieldops"].decoded("DTSTART") == r2_new.start
    assert r2_new.start == one["request-R2@fieldops"].decoded("DTSTART") + timedelta(minutes=30)
    assert two["request-R2@fieldops"].decoded("DTSTAMP") == later
    # R3 left the plan: still there, cancelled, for its old window.
    r3 = two["request-R3@fieldops"]
    assert str(r3["STATUS"]) == "CANCELLED"
    assert int(r3["SEQUENCE"]) == 1
    assert r3.decoded("DTSTART") == one["request-R3@fieldops"].decoded("DTSTART")
    assert str(r3["TRANSP"]) == "TRANSPARENT"
    by_uid = {e.uid: e for e in ics.Calendar(_feed(second, now=later).decode()).events}
    assert by_uid["request-R3@fieldops"].status == "CANCELLED"

    # R3 comes back in a third publish: confirmed again, sequence bumped once more.
    third = _publish(problem, plan, previous=second, now=later + timedelta(hours=1))
    r3_back = next(e for e in third if e.uid == "request-R3@fieldops")
    assert (r3_back.status, r3_back.sequence) == (EventStatus.CONFIRMED, 2)
    r2_back = next(e for e in third if e.uid == "request-R2@fieldops")
    assert r2_back.sequence == 2
    # Publishing the same plan again changes nothing.
    assert _publish(problem, plan, previous=third, now=later + timedelta(hours=5)) == third


def test_cancelled_job_is_not_cancelled_twice(problem: DispatchProblem, plan: DispatchPlan) -> None:
    first = _publish(problem, plan)
    second = _publish(problem, replanned_plan(problem), previous=first)
    third = _publish(
        problem, replanned_plan(problem), previous=second, now=NOW + timedelta(hours=1)
    )
    r3 = next(e for e in third if e.uid == "request-R3@fieldops")
    assert (r3.status, r3.sequence) == (EventStatus.CANCELLED, 1)


def test_text_change_keeps_sequence_but_restamps() -> None:
    old = FeedEvent(uid="u", start=at(9), end=at(10), summary="old", last_modified=NOW)
    new = replace(old, summary="new", last_modified=None)
    later = NOW + timedelta(hours=1)
    (merged,) = merge_publish([old], [new], later)
    assert (merged.summary, merged.sequence, merged.last_modified) == ("new", 0, later)
    moved = replace(old, location="elsewhere")
    (merged,) = merge_publish([old], [moved], later)
    assert merged.sequence == 1


def test_events_of_other_days_survive_a_publish(problem: DispatchProblem) -> None:
    yesterday = FeedEvent(
        uid=job_uid("OLD"),
        start=at(9) - timedelta(days=1),
        end=at(10) - timedelta(days=1),
        summary="done",
        last_modified=NOW,
    )
    kept = merge_publish([yesterday], [], NOW, horizon=problem.horizon)
    assert kept == [yesterday]
    (dropped,) = merge_publish([yesterday], [], NOW)  # no horizon: everything is in scope
    assert dropped.status is EventStatus.CANCELLED
    brk = FeedEvent(uid="break-x", start=at(12), end=at(13), summary="Break", kind=EventKind.BREAK)
    assert merge_publish([brk], [], NOW) == [], "breaks that left are simply dropped"


def test_duplicate_uids_are_rejected() -> None:
    ev = FeedEvent(uid="u", start=at(9), end=at(10), summary="s")
    with pytest.raises(FieldError):
        merge_publish([], [ev, ev], NOW)
    with pytest.raises(FieldError):
        render_feed([ev, ev], calendar_name="c", timezone="UTC", now=NOW)


# ------------------------------------------------------------------ shifts
def test_shift_calendar_for_agents() -> None:
    items = [
        ShiftItem("shift-a1-2026-11-24@fieldops", at(8), at(16), "Early, phone; chat"),
        (
            "shift-a1-2026-11-25@fieldops",
            at(12) + timedelta(days=1),
            at(20) + timedelta(days=1),
            "Late",
        ),
    ]
    data = render_shift_calendar(items, calendar_name="Agent A1", timezone="Europe/Berlin", now=NOW)
    events = _vevents(data)
    assert set(events) == {items[0][0], items[1][0]}
    assert events[items[0][0]].decoded("DTEND") == at(16)
    parsed = {e.uid: e for e in ics.Calendar(data.decode()).events}
    assert parsed[items[0][0]].name == "Early, phone; chat"
    assert parsed[items[1][0]].begin.datetime == at(12) + timedelta(days=1)


# ------------------------------------------------------------------ CLI
def test_cli_writes_one_or_all_calendars(
    tmp_path: Path, problem: DispatchProblem, plan: DispatchPlan
) -> None:
    plan_file, problem_file = tmp_path / "plan.json", tmp_path / "problem.json"
    dump_json(plan_to_json(plan), plan_file)
    dump_json(problem_to_json(problem), problem_file)
    one = tmp_path / "t1.ics"
    assert (
        main(
            [
                "ics",
                str(plan_file),
                "--problem",
                str(problem_file),
                "--technician",
                "T1",
                "-o",
                str(one),
                "--job-url",
                "https://crm.example/jobs/{id}",
            ]
        )
        == 0
    )
    events = _vevents(one.read_bytes())  # the plan's day is tomorrow: window covers it
    assert {f"request-{s.request_id}@fieldops" for s in _job_steps(plan, "T1")} <= set(events)
    assert str(events["request-R1@fieldops"]["URL"]) == _url("R1")

    out = tmp_path / "feeds"
    assert main(["ics", str(plan_file), "--problem", str(problem_file), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["T1.ics", "T2.ics"]
    t2 = _vevents((out / "T2.ics").read_bytes())
    assert {str(u) for u in t2} >= {job_uid(_rid(s)) for s in _job_steps(plan, "T2")}

    assert (
        main(
            [
                "ics",
                str(plan_file),
                "--problem",
                str(problem_file),
                "--technician",
                "T9",
                "-o",
                str(one),
            ]
        )
        == 2
    )


def test_write_calendars_without_problem(tmp_path: Path, plan: DispatchPlan) -> None:
    from fieldops.cli.reports import write_calendars

    paths = write_calendars(None, plan, tmp_path)
    assert [p.name for p in paths] == ["T1.ics", "T2.ics"]
    assert all(p.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n") for p in paths)


def test_feeds_of_a_solved_plan(problem: DispatchProblem) -> None:
    from fieldops.solver.dispatch import SolveParams, solve_dispatch
    from fieldops.validators.dispatch import assert_valid

    solved = solve_dispatch(problem, SolveParams(time_limit=1.0))
    assert_valid(problem, solved)
    all_uids: list[str] = []
    for tech in problem.technicians:
        data = _feed(_publish(problem, solved, tech=tech.id), now=NOW)
        events = _vevents(data)
        parsed = {e.uid: e for e in ics.Calendar(data.decode()).events}
        assert set(parsed) == set(events)
        jobs = _job_steps(solved, tech.id)
        for step in jobs:
            assert parsed[job_uid(_rid(step))].begin.datetime == step.start
        all_uids += [u for u in events if u.startswith("request-")]
    assigned = [s.request_id for r in solved.routes for s in r.jobs]
    assert sorted(all_uids) == sorted(job_uid(str(r)) for r in assigned)


def test_docs_examples_run() -> None:
    text = (Path(__file__).parents[1] / "docs" / "calendar.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/calendar.md", "exec"), {})


def test_description_lists_the_customers_last_visits(problem: DispatchProblem,
                                                     plan: DispatchPlan) -> None:
    # R1 is for customer C1, visited four times before (newest first) and once by
    # R1 itself: the description names the three latest earlier ones, never R1.
    from fieldops.calendar import Visit

    visits = {"C1": [
        Visit("R1", datetime(2026, 11, 20, 9, tzinfo=UTC), "boiler repair", "T1"),
        Visit("OLD4", datetime(2026, 10, 1, 9, tzinfo=UTC), "maintenance", "T2"),
        Visit("OLD3", datetime(2026, 9, 1, 9, tzinfo=UTC), None, None),
        Visit("OLD2", datetime(2026, 8, 1, 9, tzinfo=UTC), "inspection", "T1"),
        Visit("OLD1", datetime(2026, 7, 1, 9, tzinfo=UTC), "maintenance", "T1"),
    ]}
    events = events_for_technician(problem, plan, "T1", now=NOW, last_visits=visits)
    r1 = next(e for e in events if e.uid == job_uid("R1"))
    line = next(x for x in r1.description.splitlines() if x.startswith("Last visits:"))
    assert line == ("Last visits: 2026-10-01 maintenance by T2; 2026-09-01; "
                    "2026-08-01 inspection by T1")
    others = [e for e in events if e.uid != job_uid("R1")]
    assert all("Last visits" not in e.description for e in others)  # other customers


def test_description_lists_the_customers_last_contacts(problem: DispatchProblem,
                                                       plan: DispatchPlan) -> None:
    # Four logged contacts of C1, newest first: the three latest, each on one line
    # (newlines folded) and cut to CONTACT_SUMMARY_CHARS.
    from fieldops.calendar import Contact
    from fieldops.calendar.feed import CONTACT_SUMMARY_CHARS

    long = "word " * 60
    contacts = {"C1": [
        Contact(datetime(2026, 11, 21, 9, tzinfo=UTC), "phone", "Gate code\n4711"),
        Contact(datetime(2026, 11, 20, 9, tzinfo=UTC), "email", long),
        Contact(datetime(2026, 11, 19, 9, tzinfo=UTC), "chat", "Dog in the garden"),
        Contact(datetime(2026, 11, 1, 9, tzinfo=UTC), "phone", "Oldest, not shown"),
    ]}
    events = events_for_technician(problem, plan, "T1", now=NOW, last_contacts=contacts)
    r1 = next(e for e in events if e.uid == job_uid("R1"))
    line = next(x for x in r1.description.splitlines() if x.startswith("Last contacts:"))
    cut = " ".join(long.split())[: CONTACT_SUMMARY_CHARS - 1] + "…"
    assert line == (f"Last contacts: 2026-11-21 phone: Gate code 4711; 2026-11-20 email: "
                    f"{cut}; 2026-11-19 chat: Dog in the garden")
    others = [e for e in events if e.uid != job_uid("R1")]
    assert all("Last contacts" not in e.description for e in others)


def test_window_validity_bounds_the_instants_that_show_the_same_events() -> None:
    from fieldops.calendar import DEFAULT_FUTURE, DEFAULT_PAST, default_window, window_validity

    now = datetime(2026, 3, 2, 12, tzinfo=UTC)
    soon = FeedEvent(uid="a", start=now + timedelta(days=2), end=now + timedelta(days=2, hours=1),
                     summary="soon")
    far = FeedEvent(uid="b", start=now + timedelta(days=35), end=now + timedelta(days=35, hours=1),
                    summary="far")
    lo, hi = window_validity(now, [soon, far])
    # "soon" leaves the window 7 days after it ends; "far" enters 30 days before it starts.
    assert lo == soon.start - DEFAULT_FUTURE
    assert hi == far.start - DEFAULT_FUTURE
    assert hi < soon.end + DEFAULT_PAST

    def shown(t: datetime) -> set[str]:
        w_lo, w_hi = default_window(t)
        return {e.uid for e in (soon, far) if e.start < w_hi and e.end > w_lo}

    inside = [lo + (hi - lo) * k / 10 for k in range(1, 10)]
    assert {frozenset(shown(t)) for t in inside} == {frozenset(shown(now))}
    assert shown(hi + timedelta(seconds=1)) != shown(now)
    # Nothing at all: valid until shortly before the new year (VTIMEZONE follows the year).
    lo, hi = window_validity(now, [], empty=True)
    assert hi == datetime(2026, 12, 31, tzinfo=UTC)
