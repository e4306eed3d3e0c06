"""Construction-time validation of the domain dataclasses.

Bad input must fail at construction with a :class:`FieldError` whose ``field`` is the
exact path of the offending value. Most cases go through ``problem_from_json`` so the
path is the full one a user would see (``requests[0].windows[0].end``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fieldops.domain import (
    ContractTier,
    DispatchProblem,
    FieldError,
    Location,
    LunchBreak,
    ObjectiveWeights,
    Priority,
    ServiceRequest,
    Shift,
    Skill,
    Technician,
    TimeWindow,
    TravelMatrix,
    TravelProvider,
    TravelSettings,
)
from fieldops.schemas import problem_from_json

Json = dict[str, Any]


def base() -> Json:
    """A small valid problem; each test breaks one value of a deep copy of it."""
    return {
        "timezone": "Europe/Berlin",
        "horizon": {"start": "2026-03-02T00:00:00+01:00", "end": "2026-03-03T00:00:00+01:00"},
        "skills": ["hvac", "electrical"],
        "contract_tiers": [{"name": "gold", "response_time": "PT4H"}],
        "technicians": [
            {"id": "A", "home": {"lat": 48.1, "lon": 11.5},
             "skills": [{"name": "hvac", "level": 2}]},
            {"id": "B", "home": {"lat": 48.2, "lon": 11.6},
             "skills": [{"name": "electrical", "level": 3}]},
        ],
        "shifts": [
            {"id": "sA", "technician_id": "A", "start": "2026-03-02T08:00:00+01:00",
             "end": "2026-03-02T16:00:00+01:00",
             "lunch": {"duration": "PT30M", "earliest_start": "2026-03-02T11:30:00+01:00",
                       "latest_start": "2026-03-02T13:00:00+01:00"}},
            {"id": "sB", "technician_id": "B", "start": "2026-03-02T08:00:00+01:00",
             "end": "2026-03-02T16:00:00+01:00"},
        ],
        "requests": [
            {"id": "r1", "location": {"lat": 48.15, "lon": 11.55}, "duration": "PT1H",
             "windows": [{"start": "2026-03-02T09:00:00+01:00",
                          "end": "2026-03-02T11:00:00+01:00"}],
             "required_skills": [{"name": "hvac", "level": 1}],
             "contract_tier": "gold", "created_at": "2026-03-02T07:00:00+01:00"},
            {"id": "r2", "location": {"lat": 48.16, "lon": 11.56}, "duration": "PT45M"},
        ],
    }


def broken(mutate: Callable[[Json], object]) -> Json:
    data = copy.deepcopy(base())
    mutate(data)
    return data


def field_of(data: Json) -> str:
    with pytest.raises(FieldError) as info:
        problem_from_json(data)
    return info.value.field


def test_base_problem_is_valid() -> None:
    problem = problem_from_json(base())
    assert [r.id for r in problem.requests] == ["r1", "r2"]
    # gold: 4 h after 07:00 local
    assert problem.sla_deadline(problem.requests[0]) == datetime(
        2026, 3, 2, 11, tzinfo=timezone(timedelta(hours=1))
    )
    assert problem.sla_deadline(problem.requests[1]) is None
    assert problem.shift_start_location(problem.shifts[0]) == problem.technicians[0].home


# Each case: (what is wrong, how to break the base problem, the exact field path).
CASES: list[tuple[str, Callable[[Json], object], str]] = [
    ("unknown skill on a technician (catalogue given)",
     lambda d: d["technicians"][1]["skills"].append({"name": "welding"}),
     "technicians[1].skills[1].name"),
    ("unknown skill on a request (catalogue given)",
     lambda d: d["requests"][0]["required_skills"].append({"name": "plumbing"}),
     "requests[0].required_skills[1].name"),
    ("skill level out of range",
     lambda d: d["technicians"][0]["skills"][0].update(level=4),
     "technicians[0].skills[0].level"),
    ("skill listed twice",
     lambda d: d["technicians"][0]["skills"].append({"name": "hvac", "level": 1}),
     "technicians[0].skills[1].name"),
    ("window end before start",
     lambda d: d["requests"][0]["windows"][0].update(end="2026-03-02T08:00:00+01:00"),
     "requests[0].windows[0].end"),
    ("overlapping appointment windows",
     lambda d: d["requests"][0]["windows"].append(
         {"start": "2026-03-02T10:00:00+01:00", "end": "2026-03-02T12:00:00+01:00"}),
     "requests[0].windows[1]"),
    ("instant without UTC offset",
     lambda d: d["shifts"][0].update(start="2026-03-02T08:00:00"),
     "shifts[0].start"),
    ("unknown time zone", lambda d: d.update(timezone="Europe/Atlantis"), "timezone"),
    ("negative duration", lambda d: d["requests"][1].update(duration="-PT5M"),
     "requests[1].duration"),
    ("duration that is not ISO 8601", lambda d: d["requests"][1].update(duration="45 min"),
     "requests[1].duration"),
    ("zero lunch", lambda d: d["shifts"][0]["lunch"].update(duration="PT0S"),
     "shifts[0].lunch.duration"),
    ("duplicate request id", lambda d: d["requests"][1].update(id="r1"), "requests[1].id"),
    ("duplicate technician id", lambda d: d["technicians"][1].update(id="A"),
     "technicians[1].id"),
    ("duplicate shift id", lambda d: d["shifts"][1].update(id="sA"), "shifts[1].id"),
    ("duplicate contract tier",
     lambda d: d["contract_tiers"].append({"name": "gold", "response_time": "PT8H"}),
     "contract_tiers[1].name"),
    ("empty id", lambda d: d["requests"][1].update(id=" "), "requests[1].id"),
    ("job with no location", lambda d: d["requests"][1].pop("location"),
     "requests[1].location"),
    ("job without duration", lambda d: d["requests"][1].pop("duration"),
     "requests[1].duration"),
    ("latitude beyond 90", lambda d: d["requests"][0]["location"].update(lat=91),
     "requests[0].location.lat"),
    ("longitude beyond 180", lambda d: d["technicians"][0]["home"].update(lon=-180.5),
     "technicians[0].home.lon"),
    ("latitude not a number", lambda d: d["shifts"][1].update(
        start_location={"lat": "north", "lon": 11.0}), "shifts[1].start_location.lat"),
    ("shift of an unknown technician", lambda d: d["shifts"][1].update(technician_id="Z"),
     "shifts[1].technician_id"),
    ("preferred technician unknown",
     lambda d: d["requests"][1].update(preferred_technicians=["A", "Z"]),
     "requests[1].preferred_technicians[1]"),
    ("required technician unknown",
     lambda d: d["requests"][1].update(required_technicians=["Z"]),
     "requests[1].required_technicians[0]"),
    ("excluded technician unknown",
     lambda d: d["requests"][1].update(excluded_technicians=["Z"]),
     "requests[1].excluded_technicians[0]"),
    ("pinned technician unknown", lambda d: d["requests"][1].update(pinned_technician="Z"),
     "requests[1].pinned_technician"),
    ("technician both required and excluded",
     lambda d: d["requests"][1].update(required_technicians=["A"], excluded_technicians=["A"]),
     "requests[1].excluded_technicians"),
    ("pinned_start without pinned technician",
     lambda d: d["requests"][1].update(pinned_start="2026-03-02T10:00:00+01:00"),
     "requests[1].pinned_start"),
    ("contract tier without created_at", lambda d: d["requests"][0].pop("created_at"),
     "requests[0].created_at"),
    ("unknown contract tier", lambda d: d["requests"][0].update(contract_tier="platinum"),
     "requests[0].contract_tier"),
    ("tier with neither response time nor next business day",
     lambda d: d["contract_tiers"][0].pop("response_time"),
     "contract_tiers[0].response_time"),
    ("unknown priority", lambda d: d["requests"][1].update(priority="urgent"),
     "requests[1].priority"),
    ("negative load", lambda d: d["requests"][1].update(load=-1), "requests[1].load"),
    ("negative capacity", lambda d: d["technicians"][0].update(capacity=-2),
     "technicians[0].capacity"),
    ("overlapping shifts of one technician",
     lambda d: d["shifts"].append({"id": "sA2", "technician_id": "A",
                                   "start": "2026-03-02T15:00:00+01:00",
                                   "end": "2026-03-02T20:00:00+01:00"}),
     "shifts[2].start"),
    ("shift ending before it starts",
     lambda d: d["shifts"][1].update(end="2026-03-02T07:00:00+01:00"), "shifts[1].end"),
    ("lunch outside the shift",
     lambda d: d["shifts"][0]["lunch"].update(latest_start="2026-03-02T15:45:00+01:00"),
     "shifts[0].lunch"),
    ("lunch latest before earliest",
     lambda d: d["shifts"][0]["lunch"].update(latest_start="2026-03-02T11:00:00+01:00"),
     "shifts[0].lunch.latest_start"),
    ("travel matrix without index on a location",
     lambda d: d.update(travel={"provider": "matrix",
                                "matrix": {"durations": [[0, 1], [1, 0]]}}),
     "technicians[0].home.matrix_index"),
    ("travel matrix not square",
     lambda d: d.update(travel={"provider": "matrix",
                                "matrix": {"durations": [[0, 1], [1]]}}),
     "travel.matrix.durations[1]"),
    ("unknown travel provider", lambda d: d.update(travel={"provider": "teleport"}),
     "travel.provider"),
    ("detour factor below 1", lambda d: d.update(travel={"detour_factor": 0.5}),
     "travel.detour_factor"),
    ("osrm without url", lambda d: d.update(travel={"provider": "osrm"}), "travel.osrm_url"),
    ("negative weight", lambda d: d.update(weights={"travel_time": -1}),
     "weights.travel_time"),
    ("unknown priority in unassigned weights",
     lambda d: d.update(weights={"unassigned": {"urgent": 5}}), "weights.unassigned.urgent"),
    ("missing time zone", lambda d: d.pop("timezone"), "timezone"),
    ("unknown key", lambda d: d["requests"][0].update(duraton="PT1H"), "requests[0].duraton"),
]


@pytest.mark.parametrize(("mutate", "path"), [(m, p) for _, m, p in CASES],
                         ids=[name for name, _, _ in CASES])
def test_bad_input_names_the_exact_field(mutate: Callable[[Json], object], path: str) -> None:
    assert field_of(broken(mutate)) == path


def test_error_message_carries_the_path() -> None:
    with pytest.raises(FieldError, match=r"^requests\[0\]\.windows\[0\]\.end: must not be"):
        problem_from_json(broken(
            lambda d: d["requests"][0]["windows"][0].update(end="2026-03-02T08:00:00+01:00")))


def test_shifts_back_to_back_do_not_overlap() -> None:
    # A second shift may start exactly when the first one's hard end (no overtime) is.
    data = broken(lambda d: d["shifts"].append(
        {"id": "sA2", "technician_id": "A", "start": "2026-03-02T16:00:00+01:00",
         "end": "2026-03-02T20:00:00+01:00"}))
    assert len(problem_from_json(data).shifts) == 3


def test_overtime_counts_towards_shift_overlap() -> None:
    # sA may run to 17:00 with overtime, so a shift from 16:30 overlaps it.
    def mutate(d: Json) -> None:
        d["shifts"][0]["max_overtime"] = "PT1H"
        d["shifts"].append({"id": "sA2", "technician_id": "A",
                            "start": "2026-03-02T16:30:00+01:00",
                            "end": "2026-03-02T20:00:00+01:00"})
    assert field_of(broken(mutate)) == "shifts[2].start"


def test_without_catalogue_any_skill_is_accepted() -> None:
    def mutate(d: Json) -> None:
        d.pop("skills")
        d["requests"][0]["required_skills"].append({"name": "plumbing"})
    assert problem_from_json(broken(mutate)).requests[0].required_skills[1].name == "plumbing"


# ---------------------------------------------------------------- dataclasses directly
CET = timezone(timedelta(hours=1))
HOME = Location(48.1, 11.5)


def at(h: int, m: int = 0) -> datetime:
    return datetime(2026, 3, 2, h, m, tzinfo=CET)


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda: Location(95.0, 0.0), "lat"),
        (lambda: Location(float("nan"), 0.0), "lat"),
        (lambda: Location(0.0, 0.0, matrix_index=-1), "matrix_index"),
        (lambda: TimeWindow(at(10), at(9)), "end"),
        (lambda: TimeWindow(datetime(2026, 3, 2, 9), at(10)), "start"),
        (lambda: Skill("hvac", 0), "level"),
        (lambda: Skill("", 1), "name"),
        (lambda: Technician("A", "Ann", HOME, skills=(Skill("x"), Skill("x"))), "skills[1].name"),
        (lambda: Technician("A", "Ann", HOME, cost_per_hour=-1), "cost_per_hour"),
        (lambda: LunchBreak(timedelta(minutes=-5), at(11), at(12)), "duration"),
        (lambda: Shift("s", "A", at(8), at(8)), "end"),
        (lambda: Shift("s", "A", at(8), at(16), max_overtime=timedelta(minutes=-1)),
         "max_overtime"),
        (lambda: Shift("s", "A", at(8), at(16), lunch=LunchBreak(timedelta(minutes=30), at(7),
                                                                 at(9))), "lunch"),
        (lambda: ContractTier("gold", response_time=timedelta(0)), "response_time"),
        (lambda: ServiceRequest("r", HOME, timedelta(minutes=-1)), "duration"),
        (lambda: ServiceRequest("r", None, timedelta(minutes=1)), "location"),  # type: ignore[arg-type]
        (lambda: ServiceRequest("r", HOME, timedelta(0), required_skills=(Skill("a"),
                                                                           Skill("a"))),
         "required_skills[1].name"),
        (lambda: ServiceRequest("r", HOME, timedelta(0), excluded_technicians=("A",),
                                pinned_technician="A"), "pinned_technician"),
        (lambda: TravelMatrix(((0.0, -1.0), (1.0, 0.0)), ((0.0, 1.0), (1.0, 0.0))),
         "durations[0][1]"),
        (lambda: TravelMatrix(((0.0,),), ((0.0, 1.0), (1.0, 0.0))), "distances"),
        (lambda: TravelSettings(provider=TravelProvider.MATRIX), "matrix"),
        (lambda: TravelSettings(speed_kmh=0), "speed_kmh"),
        (lambda: ObjectiveWeights(unassigned={Priority.HIGH: 1.0}), "unassigned"),
        (lambda: ObjectiveWeights(unassigned={**ObjectiveWeights().unassigned,
                                              Priority.LOW: 0.0}), "unassigned.low"),
    ],
)
def test_dataclass_rejects_bad_values(build: Callable[[], object], path: str) -> None:
    with pytest.raises(FieldError) as info:
        build()
    assert info.value.field == path


def test_problem_rejects_duplicates_when_built_directly() -> None:
    tech = Technician("A", "Ann", HOME)
    with pytest.raises(FieldError) as info:
        DispatchProblem(TimeWindow(at(0), at(23)), "Europe/Berlin", (tech, tech), (), ())
    assert info.value.field == "technicians[1].id"


def test_request_windows_are_sorted() -> None:
    late, early = TimeWindow(at(14), at(15)), TimeWindow(at(9), at(10))
    assert ServiceRequest("r", HOME, timedelta(0), windows=(late, early)).windows == (
        early, late)


def test_skill_levels_and_qualification() -> None:
    tech = Technician("A", "Ann", HOME, skills=(Skill("hvac", 2),))
    assert tech.skill_level("hvac") == 2
    assert tech.skill_level("plumbing") == 0
    assert tech.qualifies_for((Skill("hvac", 2),))
    assert not tech.qualifies_for((Skill("hvac", 3),))
    assert not tech.qualifies_for((Skill("hvac", 1), Skill("plumbing", 1)))
    assert tech.qualifies_for(())


def test_priority_rank_orders_critical_first() -> None:
    assert [p.rank for p in (Priority.CRITICAL, Priority.HIGH, Priority.NORMAL,
                             Priority.LOW)] == [0, 1, 2, 3]


def test_time_window_is_closed() -> None:
    w = TimeWindow(at(9), at(10))
    assert w.contains(at(9)) and w.contains(at(10))
    assert not w.contains(at(10, 1))
    assert w.overlaps(TimeWindow(at(10), at(11)))
    assert not w.overlaps(TimeWindow(at(10, 1), at(11)))


def test_next_business_day_deadline_skips_the_weekend() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    tier = ContractTier("silver", next_business_day=True, business_day_end=time(17))
    friday = datetime(2026, 3, 6, 15, tzinfo=berlin)
    # Friday 6 March -> next working day is Monday 9 March, 17:00 local.
    assert tier.deadline(friday, berlin) == datetime(2026, 3, 9, 17, tzinfo=berlin)
    capped = ContractTier("both", response_time=timedelta(hours=4), next_business_day=True)
    # Whichever comes first: 4 h after Friday 15:00 is Friday 19:00.
    assert capped.deadline(friday, berlin) == datetime(2026, 3, 6, 19, tzinfo=berlin)


def test_dst_change_keeps_local_business_day_end() -> None:
    # Europe/Berlin goes to summer time on Sunday 29 March 2026: Monday's 17:00 local
    # is 15:00 UTC, not 16:00.
    berlin = ZoneInfo("Europe/Berlin")
    tier = ContractTier("silver", next_business_day=True)
    deadline = tier.deadline(datetime(2026, 3, 27, 12, tzinfo=berlin), berlin)
    assert deadline.astimezone(UTC) == datetime(2026, 3, 30, 15, tzinfo=UTC)


# ---------------------------------------------------------------- shared checks
def _direct_builds() -> list[tuple[Any, str]]:
    from fieldops.domain.roster import QueueSkill, RosterParams, ShiftPreference
    from fieldops.domain.workforce import QueueSpec, StaffingTarget

    loc = Location(52.5, 13.4)
    return [
        (lambda: Skill("gas", 4), "level"),
        (lambda: Skill("gas", True), "level"),
        (lambda: ServiceRequest("r", loc, timedelta(minutes=5), priority="urgent"), "priority"),
        (lambda: ServiceRequest("r", (52.5, 13.4), timedelta(minutes=5)), "location"),
        (lambda: TravelSettings(provider="bike"), "provider"),
        (lambda: Location(52.5, 13.4, matrix_index=-1), "matrix_index"),
        (lambda: Location(52.5, 13.4, address=7), "address"),
        (lambda: QueueSkill("voice", 6), "proficiency"),
        (lambda: RosterParams(workers=0), "workers"),
        (lambda: RosterParams(seed=-1), "seed"),
        (lambda: ShiftPreference(date(2026, 12, 7), wanted="yes"), "wanted"),
        (lambda: ShiftPreference(datetime(2026, 12, 7, tzinfo=UTC)), "day"),
        (lambda: QueueSpec("q", channel="fax"), "channel"),
        (lambda: QueueSpec("q", concurrency=21), "concurrency"),
        (lambda: StaffingTarget(basis="all"), "basis"),
    ]


@pytest.mark.parametrize("index", range(15))
def test_domain_objects_built_directly_reject_bad_values_naming_the_field(index: int) -> None:
    build, field = _direct_builds()[index]
    with pytest.raises(FieldError) as info:
        build()
    assert info.value.field == field


def test_enum_values_are_coerced_when_built_directly() -> None:
    loc = Location(52.5, 13.4)
    assert ServiceRequest("r", loc, timedelta(0), priority="high").priority is Priority.HIGH
    assert TravelSettings(provider="geodesic").provider is TravelProvider.GEODESIC


# ---------------------------------------------------------------- the one id rule
@pytest.mark.parametrize("bad", [
    "", "   ", "a\nb", "a\rb", "\t", "a\x00b", "a\x7fb", "a\u2028b", "a\u200bb", "\ud800",
    "a\udfffb", "a/b", "/", ".", "..", "x" * 201, 7, None,
])
def test_id_rule_refuses_what_cannot_be_reached_everywhere(bad: object) -> None:
    from fieldops.domain._checks import require_id

    with pytest.raises(FieldError) as err:
        require_id("technician_id", bad)
    assert err.value.field == "technician_id"


@pytest.mark.parametrize("good", ["t1", "Müller 1", "a.b", "...", "a?b#c%d", "x" * 200,
                                  "技師-7", "a b"])
def test_id_rule_accepts_printable_ids(good: str) -> None:
    from fieldops.domain._checks import require_id

    assert require_id("id", good) == good


def test_queue_names_may_hold_a_slash_but_nothing_invisible() -> None:
    from fieldops.domain._checks import require_id

    assert require_id("queue", "voice/en", segment=False) == "voice/en"
    with pytest.raises(FieldError):
        require_id("queue", "voice\n/en", segment=False)


def test_the_id_rule_holds_for_problem_files_too() -> None:
    data = base()
    data["technicians"][0]["id"] = "t/1"
    with pytest.raises(FieldError) as err:
        problem_from_json(data)
    assert err.value.field == "technicians[0].id"
