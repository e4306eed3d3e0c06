"""Dispatch report: well-formed, self-contained, numbers match the plan; CSV/JSON exports.

Expected figures are recomputed here from the plan's steps (not read from
``plan.kpis``), so a report that printed the wrong KPI field would fail.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import struct
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest

from fieldops.cli import main
from fieldops.domain import DispatchPlan, DispatchProblem, StepKind
from fieldops.reports import COLUMNS, render_report, routes_csv, routes_json
from fieldops.schemas import dump_json, plan_to_json, problem_to_json

from dispatch_fixtures import small_plan, small_problem

JOB_URL = "https://crm.example/jobs/"


@pytest.fixture(scope="module")
def problem() -> DispatchProblem:
    return small_problem()


@pytest.fixture(scope="module")
def plan(problem: DispatchProblem) -> DispatchPlan:
    return small_plan(problem)


@pytest.fixture(scope="module")
def page(problem: DispatchProblem, plan: DispatchPlan) -> str:
    return render_report(plan, problem, job_url=lambda r: JOB_URL + r)


@pytest.fixture(scope="module")
def bare_page(plan: DispatchPlan) -> str:
    return render_report(plan)


def _tree(html: str) -> ET.Element:
    return ET.fromstring(html)  # raises on anything that is not well-formed


def _text(el: ET.Element) -> str:
    return "".join(el.itertext()).strip()


def _hm(value: timedelta) -> str:
    minutes = round(value.total_seconds() / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _kpis(root: ET.Element) -> dict[str, str]:
    return {el.get("data-kpi", ""): _text(el) for el in root.iter() if el.get("data-kpi")}


def _expected_kpis(plan: DispatchPlan) -> dict[str, str]:
    steps = [s for r in plan.routes for s in r.steps]
    jobs = [s for s in steps if s.kind is StepKind.JOB]
    return {
        "jobs_assigned": str(len(jobs)),
        "jobs_total": str(len(jobs) + len(plan.unassigned)),
        "jobs_unassigned": str(len(plan.unassigned)),
        "routes_used": str(sum(1 for r in plan.routes if r.jobs)),
        "travel_time": _hm(sum((s.travel_time for s in steps), timedelta(0))),
        "travel_distance_km": f"{sum(s.travel_distance for s in steps) / 1000:.1f}",
        "service_time": _hm(sum((s.end - s.start for s in jobs), timedelta(0))),
        "wait_time": _hm(sum((s.wait for s in jobs), timedelta(0))),
        "sla_breached": str(sum(1 for s in jobs if s.sla_lateness > timedelta(0))),
        "sla_met": str(sum(1 for s in jobs if s.sla_deadline and not s.sla_lateness)),
        "sla_at_risk": str(
            sum(
                1
                for s in jobs
                if s.sla_deadline
                and timedelta(0) <= s.sla_deadline - s.start <= timedelta(minutes=30)
            )
        ),
        "status": plan.status.value,
    }


@pytest.mark.parametrize("which", ["page", "bare_page"])
def test_kpis_match_the_plan(
    which: str, plan: DispatchPlan, request: pytest.FixtureRequest
) -> None:
    shown = _kpis(_tree(request.getfixturevalue(which)))
    expected = _expected_kpis(plan)
    assert {k: shown.get(k) for k in expected} == expected
    # the fixture's own story: 5 of 6 jobs, R4 late, R2 within 30 min of its deadline
    assert (expected["jobs_assigned"], expected["sla_breached"], expected["sla_at_risk"]) == (
        "5",
        "1",
        "1",
    )


def test_route_table_and_run_sheets_follow_the_routes(page: str, plan: DispatchPlan) -> None:
    root = _tree(page)
    rows = {el.get("data-shift"): el for el in root.iter("tr") if el.get("data-shift")}
    sheets = {el.get("data-shift"): el for el in root.iter("article")}
    assert set(rows) == set(sheets) == {r.shift_id for r in plan.routes}
    for route in plan.routes:
        cells = {td.get("data-col"): _text(td) for td in rows[route.shift_id].iter("td")}
        assert cells["jobs"] == str(len(route.jobs))
        km = sum(s.travel_distance for s in route.steps) / 1000
        assert cells["travel_distance_km"] == f"{km:.1f}"
        order = [
            tr.get("data-request")
            for tr in sheets[route.shift_id].iter("tr")
            if tr.get("data-request")
        ]
        assert tuple(order) == route.request_ids
        assert len(sheets[route.shift_id].findall(".//tbody/tr")) == len(route.steps)


def test_unassigned_and_sla_sections(
    page: str, plan: DispatchPlan, problem: DispatchProblem
) -> None:
    root = _tree(page)
    section = {el.get("id"): el for el in root.iter("section")}
    unassigned = [
        tr.get("data-request") for tr in section["unassigned"].iter("tr") if tr.get("data-request")
    ]
    assert unassigned == [u.request_id for u in plan.unassigned]
    assert all(u.reason.value in _text(section["unassigned"]) for u in plan.unassigned)
    sla = {
        tr.get("data-request"): tr.get("data-sla")
        for tr in section["sla"].iter("tr")
        if tr.get("data-sla")
    }
    late = {s.request_id for r in plan.routes for s in r.jobs if s.sla_lateness > timedelta(0)}
    assert {k for k, v in sla.items() if v == "breached"} == late == {"R4"}
    assert {k for k, v in sla.items() if v == "at_risk"} == {"R2"}
    # R6 is unassigned but has no contract, so it has no SLA row.
    assert problem.sla_deadline(problem.request_by_id["R6"]) is None and "R6" not in sla


def test_page_is_self_contained(page: str) -> None:
    root = _tree(page)
    for el in root.iter():
        for attr in ("src", "href"):
            value = el.get(attr)
            if value is None:
                continue
            assert value.startswith(("data:", "#")) or value.startswith(JOB_URL), value
    outside = [u for u in re.findall(r"https?://[^\s\"'<>)]+", page) if not u.startswith(JOB_URL)]
    assert outside == []
    assert "url(" not in page and "@import" not in page


def test_charts_are_embedded_pngs(page: str) -> None:
    images = [el.get("src", "") for el in _tree(page).iter("img")]
    assert len(images) == 2  # map and timeline
    for src in images:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert width > 600 and height > 150


def test_escaping_and_print_stylesheet(page: str) -> None:
    assert "Kiosk &lt;Eck&gt;" in page and "Kiosk <Eck>" not in page
    cells = [_text(td) for td in _tree(page).iter("td")]
    assert "Kiosk <Eck>" in cells  # the parser restores the text
    style = _text(next(_tree(page).iter("style")))
    media = style[style.index("@media print") :]
    assert re.search(r"\.runsheet\s*\{[^}]*page-break-before:\s*always", media)


def test_report_without_problem_says_what_is_missing(bare_page: str) -> None:
    root = _tree(bare_page)
    notes = [_text(p) for p in root.iter("p") if p.get("class") == "note"]
    assert notes and "plan alone" in notes[0]
    assert "Ada Lovelace" not in bare_page  # names come from the problem only
    assert all(a.get("href", "").startswith("#") for a in root.iter("a"))


def test_empty_plan_renders(plan: DispatchPlan) -> None:
    from dataclasses import replace

    empty = replace(plan, routes=(), unassigned=())
    root = _tree(render_report(empty))
    assert len(list(root.iter("article"))) == 0
    assert len(list(root.iter("img"))) == 2


# ------------------------------------------------------------------ exports
def test_csv_has_one_row_per_stop(plan: DispatchPlan) -> None:
    text = routes_csv(plan)
    assert text.endswith("\r\n")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    rows = list(reader)
    steps = [(r, i, s) for r in plan.routes for i, s in enumerate(r.steps)]
    assert len(rows) == len(steps)
    for row, (route, i, step) in zip(rows, steps, strict=True):
        assert (row["shift_id"], int(row["sequence"]), row["kind"]) == (
            route.shift_id,
            i,
            step.kind.value,
        )
        assert row["request_id"] == (step.request_id or "")
        assert float(row["travel_distance_m"]) == pytest.approx(step.travel_distance)
    r4 = next(row for row in rows if row["request_id"] == "R4")
    # created 06:00, 4 h response → deadline 10:00; starts 10:52
    assert r4["sla_deadline"] == "2026-11-24T10:00:00+01:00"
    assert int(r4["sla_lateness_s"]) == 52 * 60
    assert r4["address"] == "Rheinstraße 9, Berlin"


def test_json_matches_csv(plan: DispatchPlan) -> None:
    data = json.loads(json.dumps(routes_json(plan)))
    assert data["columns"] == list(COLUMNS) and data["timezone"] == "Europe/Berlin"
    rows = list(csv.DictReader(io.StringIO(routes_csv(plan), newline="")))
    assert len(data["stops"]) == len(rows)
    for stop, row in zip(data["stops"], rows, strict=True):
        assert {k: "" if v is None else str(v) for k, v in stop.items()} == row


def test_cli_report_with_and_without_problem(
    tmp_path: Path, problem: DispatchProblem, plan: DispatchPlan
) -> None:
    plan_file, problem_file = tmp_path / "plan.json", tmp_path / "problem.json"
    dump_json(plan_to_json(plan), plan_file)
    dump_json(problem_to_json(problem), problem_file)
    out = tmp_path / "out" / "report.html"
    assert (
        main(
            [
                "report",
                str(plan_file),
                "--problem",
                str(problem_file),
                "-o",
                str(out),
                "--csv",
                str(tmp_path / "r.csv"),
                "--json",
                str(tmp_path / "r.json"),
            ]
        )
        == 0
    )
    expected = _expected_kpis(plan)
    shown = _kpis(_tree(out.read_text(encoding="utf-8")))
    assert {k: shown.get(k) for k in expected} == expected
    assert (tmp_path / "r.csv").read_bytes().decode("utf-8") == routes_csv(plan)
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == json.loads(
        json.dumps(routes_json(plan))
    )
    assert main(["report", str(plan_file), "-o", str(tmp_path / "bare.html")]) == 0
    assert main(["report", str(plan_file), "-o", str(out), "--job-url", "no-placeholder"]) == 2


# ------------------------------------------------------------------ a real solve
@pytest.fixture(scope="module")
def solved(problem: DispatchProblem) -> DispatchPlan:
    from fieldops.solver.dispatch import SolveParams, solve_dispatch
    from fieldops.validators.dispatch import assert_valid

    solved = solve_dispatch(problem, SolveParams(time_limit=1.0))
    assert_valid(problem, solved)
    return solved


def test_report_of_a_solved_plan(solved: DispatchPlan, problem: DispatchProblem) -> None:
    root = _tree(render_report(solved, problem))
    expected = _expected_kpis(solved)
    assert {k: _kpis(root).get(k) for k in expected} == expected
    rows = {el.get("data-shift"): el for el in root.iter("tr") if el.get("data-shift")}
    for route in solved.routes:
        cells = {td.get("data-col"): _text(td) for td in rows[route.shift_id].iter("td")}
        (end,) = [s for s in route.steps if s.kind is StepKind.END]
        assert cells["returns"] == end.arrival.astimezone(problem.tz).strftime("%H:%M")
    assert sum(1 for _ in csv.DictReader(io.StringIO(routes_csv(solved)))) == sum(
        len(r.steps) for r in solved.routes
    )


def test_docs_examples_run() -> None:
    text = (Path(__file__).parents[1] / "docs" / "reports.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/reports.md", "exec"), {})


def test_same_plan_gives_the_same_page(plan: DispatchPlan, bare_page: str) -> None:
    # No timestamps or random ids: a cached page (or an ETag over it) stays valid.
    assert render_report(plan) == bare_page


# ---------------------------------------------------------------- plan summary
def test_summary_plain_and_rich_show_the_same_cells(plan: DispatchPlan) -> None:
    from fieldops.domain.summary import summary_tables
    from fieldops.reports.summary import render_summary

    tables = summary_tables(plan)
    assert tables.routes and len(tables.routes) == len(plan.routes)
    assert [row[0] for row in tables.routes] == [r.shift_id for r in plan.routes]
    assert [row[0] for row in tables.unassigned] == [u.request_id for u in plan.unassigned]
    assert dict(tables.head)["jobs assigned"] == (
        f"{plan.kpis.jobs_assigned} / {plan.kpis.jobs_total}")
    plain, rich = plan.summary(), render_summary(plan)
    assert "┃" in rich and "┃" not in plain  # box drawing only in the rich one
    cells = [tables.title.strip(), *(v for _, v in tables.head),
             *(c for row in tables.routes + tables.unassigned for c in row if c)]
    for cell in cells:
        assert cell in plain, cell
        # rich may wrap a long detail over lines; every word is there
        assert all(word in rich for word in cell.split()), cell
    routes_at = plain.splitlines().index("Routes")
    header = plain.splitlines()[routes_at + 1].split()
    assert header[:2] == ["shift", "technician"]


# ------------------------------------------------------------ what a dispatcher reads first
def _with_lunch_at_r5(plan: DispatchPlan) -> DispatchPlan:
    """S2 arrives at R5 12:32, its window opens 13:00: lunch 12:32–12:52 at the door."""
    from dataclasses import replace

    from fieldops.domain import Step

    route = next(r for r in plan.routes if r.shift_id == "S2")
    i = next(i for i, s in enumerate(route.steps) if s.request_id == "R5")
    r5 = route.steps[i]
    lunch = Step(StepKind.BREAK, r5.arrival, r5.arrival + timedelta(minutes=20), r5.arrival)
    steps = (*route.steps[:i], lunch, *route.steps[i:])
    routes = tuple(replace(r, steps=steps) if r is route else r for r in plan.routes)
    return replace(plan, routes=routes)


def test_lunch_at_a_customer_is_a_break_not_waiting(problem: DispatchProblem,
                                                     plan: DispatchPlan) -> None:
    from fieldops.reports.model import build_model

    lunched = _with_lunch_at_r5(plan)
    model = build_model(lunched, problem)
    s2 = next(rv for rv in model.routes if rv.route.shift_id == "S2")
    r5 = next(s for s in s2.stops if s.request_id == "R5")
    assert r5.wait == timedelta(minutes=8)  # 28 min at the door, 20 of them lunch
    # The timeline draws the half hour once: no waiting bar overlaps the break.
    brk = next(s for s in s2.segments if s.kind == "break")
    waits = [s for s in s2.segments if s.kind == "wait"]
    assert waits and all(w.end <= brk.start or w.start >= brk.end for w in waits)
    assert sum((w.end - w.start for w in waits), timedelta(0)) == timedelta(minutes=8)
    root = _tree(render_report(lunched, problem))
    before = sum((s.wait for r in plan.routes for s in r.jobs), timedelta(0))
    assert _kpis(root)["wait_time"] == _hm(before - timedelta(minutes=20))
    sheet = next(a for a in root.iter("article") if a.get("data-shift") == "S2")
    row = next(tr for tr in sheet.iter("tr") if tr.get("data-request") == "R5")
    assert _text(list(row)[3]) == "8"  # the wait column


def test_solver_terms_come_last(page: str, plan: DispatchPlan) -> None:
    root = _tree(page)
    sections = [el.get("id") for el in root.iter("section")]
    assert sections[0] == "kpis" and sections[-1] == "solver"
    first = next(el for el in root.iter("section") if el.get("id") == "kpis")
    assert {"status", "objective", "solve_time"}.isdisjoint(_kpis(first))
    assert plan.status.value not in _text(first) and "bjective" not in _text(first)
    header = _text(next(root.iter("header")))
    assert plan.status.value not in header
    solver = next(el for el in root.iter("section") if el.get("id") == "solver")
    assert _kpis(solver)["status"] == plan.status.value
    assert solver.find(".//table[@id='penalties']") is not None
    keys = list(_kpis(first))
    assert keys.index("jobs_unassigned") < keys.index("travel_time")
    assert keys.index("sla_breached") < keys.index("travel_time")
    assert keys.index("overtime") < keys.index("travel_time")


def test_overtime_is_a_key_figure_and_on_the_timeline(problem: DispatchProblem) -> None:
    from fieldops.reports.model import build_model

    from dispatch_fixtures import at, build_plan

    # S2 ends 16:00 and may run one hour over: R4 then R5 bring it back at 16:20.
    late = build_plan(problem, {"S2": (at(13), [("job", "R4", 30, 20.0), ("job", "R5", 20, 5.0),
                                                 ("end", 20, 4.1)])}, [])
    s2 = late.routes[0]
    assert s2.kpis.overtime > timedelta(0)
    model = build_model(late, problem)
    over = [s for s in model.routes[0].segments if s.kind == "overtime"]
    assert [(s.start, s.end) for s in over] == [(problem.shift_by_id["S2"].end,
                                                 problem.shift_by_id["S2"].end + s2.kpis.overtime)]
    shown = _kpis(_tree(render_report(late, problem)))
    assert shown["overtime"] == _hm(s2.kpis.overtime) and shown["routes_overtime"] == "1"


def test_sla_breaches_say_whether_anyone_could_have_made_it(
    problem: DispatchProblem, plan: DispatchPlan
) -> None:
    from fieldops.reports.model import CAUSE_BEFORE_SHIFTS, CAUSE_CHOSEN, SlaRow, classify_sla

    from dispatch_fixtures import at

    first_shift = min(s.start for s in problem.shifts)
    rows = [SlaRow("early", "T1", at(9), first_shift - timedelta(minutes=1), None, "breached"),
            SlaRow("late", "T1", at(11), at(10), None, "breached"),
            SlaRow("gone", None, None, at(7), None, "unassigned"),
            SlaRow("left", None, None, at(12), None, "unassigned"),
            SlaRow("tight", "T1", at(9), at(9, 20), None, "at_risk")]
    causes = {r.request_id: r.cause for r in classify_sla(rows, problem)}
    assert causes == {"early": CAUSE_BEFORE_SHIFTS, "late": CAUSE_CHOSEN,
                      "gone": CAUSE_BEFORE_SHIFTS, "left": None, "tight": None}
    root = _tree(render_report(plan, problem))
    r4 = next(tr for tr in root.iter("tr") if tr.get("data-sla") == "breached")
    assert (r4.get("data-request"), r4.get("data-cause")) == ("R4", CAUSE_CHOSEN)
    shown = _kpis(root)
    assert (shown["sla_late_by_choice"], shown["sla_breached_before_shift"]) == ("1", "0")


def test_route_styles_are_told_apart() -> None:
    import itertools

    import numpy as np
    from matplotlib.colors import to_rgb

    from fieldops.reports.model import technician_styles

    styles = technician_styles([f"T{i}" for i in range(40)])
    looks = [(s.color, s.linestyle, s.marker) for s in styles.values()]
    assert len(set(looks)) == 40  # no two technicians drawn alike
    colors = sorted({s.color for s in styles.values()})
    distance = min(float(np.linalg.norm(np.subtract(to_rgb(a), to_rgb(b))))
                   for a, b in itertools.combinations(colors, 2))
    assert distance > 0.2  # no near-equal colours (tab20b/Dark2 had pairs at 0.09)


def test_run_sheets_have_phone_description_and_skills(page: str) -> None:
    root = _tree(page)
    r1 = next(tr for a in root.iter("article") for tr in a.iter("tr")
              if tr.get("data-request") == "R1")
    cells = {td.get("data-col"): _text(td) for td in r1.iter("td") if td.get("data-col")}
    assert cells["phone"] == "+49 30 1234567"
    assert "Boiler loses pressure" in cells["job"] and "boiler repair" in cells["job"]
    assert cells["skills"] == "hvac ≥2"


def test_satisfaction_section_only_when_given() -> None:
    import xml.etree.ElementTree as ET
    from datetime import UTC, datetime

    from fieldops.domain.satisfaction import Rating, summarise

    from dispatch_fixtures import small_plan, small_problem

    problem = small_problem()
    plan = small_plan(problem)
    assert 'id="satisfaction"' not in render_report(plan, problem)
    ratings = [Rating("R1", 5, datetime(2026, 3, 2, 9, tzinfo=UTC), "T1"),
               Rating("R2", 2, datetime(2026, 3, 2, 11, tzinfo=UTC), "T1")]
    page = ET.fromstring(render_report(plan, problem, satisfaction=summarise(
        ratings, names={"T1": "Léa & Co"})))
    section = next(e for e in page.iter() if e.get("id") == "satisfaction")
    row = next(e for e in section.iter() if e.get("data-technician") == "T1")
    assert [c.text for c in row] == ["Léa & Co", "2", "3.50", "0", "1", "0", "0", "1"]
    assert any(e.get("data-day") == "2026-03-02" for e in section.iter())
    empty = render_report(plan, problem, satisfaction=summarise([]))
    assert "No visit of this period has been rated yet." in empty
