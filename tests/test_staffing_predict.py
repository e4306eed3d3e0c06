"""staffing/predict.py: the predicted service level of a roster, checked against
textbook Erlang C by hand."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from fieldops.domain.errors import FieldError
from fieldops.domain.roster import (
    Activity,
    Agent,
    Contract,
    QueueSkill,
    Roster,
    RosterAssignment,
    RosterProblem,
    RosterStatus,
    ShiftTemplate,
)
from fieldops.domain.workforce import Channel, ContactVolumes, QueueSpec, StaffingTarget
from fieldops.solver.forecast import volumes_from_frame
from fieldops.solver.staffing import staff
from fieldops.solver.staffing.predict import (
    predict_service_level,
    predicted_summary,
    predicted_to_records,
    staffed_heads,
)

BERLIN = ZoneInfo("Europe/Berlin")
TARGET = StaffingTarget(service_level=0.8, answer_time=timedelta(seconds=20), shrinkage=0.3)
QUEUES = ("voice/en", "chat/en", "email/en")


def at(hour: int, minute: int = 0, day: int = 7) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=BERLIN)


def textbook_erlang_c(n: int, load: float, aht: float, t: float) -> tuple[float, float]:
    """Service level and ASA from the Erlang C formula with factorials (small n only)."""
    top = load**n / math.factorial(n) * n / (n - load)
    p_wait = top / (sum(load**k / math.factorial(k) for k in range(n)) + top)
    return 1 - p_wait * math.exp(-(n - load) * t / aht), p_wait * aht / (n - load)


def problem() -> RosterProblem:
    agents = tuple(Agent(f"a{i}", "c", tuple(QueueSkill(q) for q in QUEUES))
                   for i in range(40))
    return RosterProblem(start=date(2026, 12, 7), days=1, queues=QUEUES,
                         templates=(ShiftTemplate("day", time(7), timedelta(hours=8)),),
                         contracts=(Contract("c"),), agents=agents, requirements=(),
                         timezone="Europe/Berlin")


def roster(stretches: list[tuple[datetime, datetime, str]]) -> Roster:
    """One assignment per stretch of work (agents are not checked here)."""
    assignments = tuple(
        RosterAssignment(f"a{i}", date(2026, 12, 7), "day", s, e,
                         activities=(Activity(s, e, "work", q),))
        for i, (s, e, q) in enumerate(stretches))
    return Roster(RosterStatus.FEASIBLE, assignments, pd.DataFrame(), {}, 0, 0.0)


def demand() -> pd.DataFrame:
    rows = [
        (at(8), "voice/en", 40.0, 180.0),      # 8 Erlangs
        (at(8, 15), "voice/en", 40.0, 180.0),
        (at(8, 30), "voice/en", 0.0, 180.0),
        (at(8), "chat/en", 6.0, 450.0),        # 3 Erlangs of chat sessions
        (at(8), "email/en", 30.0, 300.0),
        (at(8, day=8), "voice/en", 40.0, 180.0),  # next day: outside the horizon
    ]
    return pd.DataFrame(rows, columns=["interval_start", "queue", "offered", "aht_seconds"])


def volumes() -> ContactVolumes:
    frame = demand()
    frame["interval_start"] = frame["interval_start"].map(lambda t: t.isoformat())
    return volumes_from_frame(frame)


SPECS = {"chat/en": QueueSpec("chat/en", Channel.CHAT, concurrency=2)}


def sample_roster() -> Roster:
    stretches = [(at(7), at(10), "voice/en")] * 12      # 12 heads all morning
    stretches += [(at(7, 45), at(8, 15), "voice/en")] * 3   # +3 at 08:00 only
    stretches += [(at(8, 5), at(9), "voice/en")]         # starts inside 08:00: not counted there
    stretches += [(at(7), at(9), "chat/en")] * 5
    stretches += [(at(7), at(9), "email/en")] * 2
    return roster(stretches)


def test_heads_count_only_whole_intervals() -> None:
    frame = demand()
    heads = staffed_heads(sample_roster(), frame["interval_start"], frame["queue"],
                          timedelta(minutes=15), problem())
    assert heads.tolist() == [15, 13, 13, 5, 2, 0]


def test_prediction_matches_textbook_erlang_c() -> None:
    vols = volumes()
    out = predict_service_level(sample_roster(), vols, TARGET, SPECS, problem=problem())
    assert len(out) == 5  # the next day's interval is outside the roster's horizon
    voice = out[out["queue"] == "voice/en"].reset_index(drop=True)
    # 08:00: 15 heads x 0.7 = 10.5 productive -> 10 agents answer at 8 Erlangs.
    sl, asa = textbook_erlang_c(10, 8.0, 180.0, 20.0)
    assert voice.loc[0, "productive"] == pytest.approx(10.5)
    assert voice.loc[0, "service_level"] == pytest.approx(sl, rel=1e-9)
    assert voice.loc[0, "asa_seconds"] == pytest.approx(asa, rel=1e-9)
    assert voice.loc[0, "occupancy"] == pytest.approx(0.8)
    assert bool(voice.loc[0, "meets_target"]) is (sl >= 0.8)
    # 08:15: 13 heads -> 9.1 -> 9 agents.
    sl9, _ = textbook_erlang_c(9, 8.0, 180.0, 20.0)
    assert voice.loc[1, "service_level"] == pytest.approx(sl9, rel=1e-9)
    assert not voice.loc[1, "meets_target"] and sl9 < 0.8
    assert voice.loc[2, "service_level"] == 1.0 and voice.loc[2, "meets_target"]
    # Chat: 5 heads -> 3 agents x 2 sessions = 6 slots at 3 Erlangs.
    chat = out[out["queue"] == "chat/en"].iloc[0]
    assert chat["service_level"] == pytest.approx(textbook_erlang_c(6, 3.0, 450.0, 20.0)[0])
    # Required heads: what staff() asks for, rounded up.
    plan = staff(vols, TARGET, SPECS)
    first = plan.frame[(plan.frame["queue"] == "voice/en")].iloc[0]
    assert voice.loc[0, "required"] == math.ceil(first["scheduled"] - 1e-6)
    email = out[out["queue"] == "email/en"].iloc[0]
    assert math.isnan(email["service_level"])


def test_exact_required_heads_meet_the_target_and_one_less_does_not() -> None:
    vols = volumes()
    required = predict_service_level(roster([]), vols, TARGET, SPECS, problem=problem())
    erlang = required["queue"] != "email/en"  # email's first interval needs nobody yet
    assert not required["meets_target"][erlang & (required["offered"] > 0)].any()
    stretches = []
    for row in required.itertuples():
        start = row.interval_start.to_pydatetime()
        stretches += [(start, start + timedelta(minutes=15), row.queue)] * int(row.required)
    enough = predict_service_level(roster(stretches), vols, TARGET, SPECS, problem=problem())
    assert enough["meets_target"].all()
    assert (enough["staffed"] == enough["required"]).all()
    # Take one head off the busy 08:00 voice interval.
    stretches.remove((at(8), at(8, 15), "voice/en"))
    short = predict_service_level(roster(stretches), vols, TARGET, SPECS, problem=problem())
    # Rows by queue, then time: chat 08:00, email 08:00, voice 08:00 / 08:15 / 08:30.
    assert short["meets_target"].tolist() == [True, True, False, True, True]
    summary = predicted_summary(short).set_index("queue")
    assert summary.loc["voice/en", "below_target"] == 1
    assert summary.loc["chat/en", "below_target"] == 0


def test_erlang_a_queue_reports_abandonment() -> None:
    specs = {**SPECS, "voice/en": QueueSpec("voice/en", patience=timedelta(seconds=60))}
    out = predict_service_level(sample_roster(), volumes(), TARGET, specs, problem=problem())
    voice = out[out["queue"] == "voice/en"]
    assert (voice["abandon_rate"].iloc[:2] > 0).all()
    # Very patient callers: Erlang A tends to Erlang C.
    patient = {**SPECS, "voice/en": QueueSpec("voice/en", patience=timedelta(days=3650))}
    out = predict_service_level(sample_roster(), volumes(), TARGET, patient, problem=problem())
    sl, _ = textbook_erlang_c(10, 8.0, 180.0, 20.0)
    assert out[out["queue"] == "voice/en"]["service_level"].iloc[0] == pytest.approx(sl, abs=1e-4)


def test_records_are_json_ready() -> None:
    out = predict_service_level(sample_roster(), volumes(), TARGET, SPECS, problem=problem())
    records = predicted_to_records(out, "Europe/Berlin")
    assert records[0]["interval_start"] == "2026-12-07T08:00:00+01:00"
    assert isinstance(records[0]["meets_target"], bool)
    assert any(r["service_level"] is None for r in records)  # email: no SL, null not NaN


def test_assignments_without_activities_need_a_single_queue() -> None:
    bare = Roster(RosterStatus.FEASIBLE,
                  (RosterAssignment("a0", date(2026, 12, 7), "day", at(7), at(9)),),
                  pd.DataFrame(), {}, 0, 0.0)
    with pytest.raises(FieldError) as exc:
        predict_service_level(bare, volumes(), TARGET, SPECS, problem=problem())
    assert exc.value.field == "roster.assignments[0].activities"


def test_a_learner_counts_with_its_capacity_as_the_routing_serves_it() -> None:
    # Agents a0-a5 learn voice (proficiency 1: half capacity), a6-a7 are at level 2.
    skills = {0: 1, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 2, 7: 2}
    base = problem()
    agents = tuple(Agent(a.id, "c", tuple(QueueSkill(q, skills.get(i, 3)) for q in QUEUES))
                   for i, a in enumerate(base.agents))
    learners = RosterProblem(start=base.start, days=1, queues=QUEUES,
                             templates=base.templates, contracts=base.contracts,
                             agents=agents, requirements=(), timezone=base.timezone)
    out = predict_service_level(sample_roster(), volumes(), TARGET, SPECS, problem=learners)
    full = predict_service_level(sample_roster(), volumes(), TARGET, SPECS, problem=problem())
    voice, voice_full = (f[f["queue"] == "voice/en"].reset_index(drop=True) for f in (out, full))
    # 08:00: 15 heads, of which a0-a5 count 0.5 and a6, a7 0.75: capacity 7 x 1 + 3 + 1.5.
    assert voice.loc[0, "staffed"] == voice_full.loc[0, "staffed"] == 15
    assert voice.loc[0, "capacity"] == pytest.approx(11.5)
    assert voice.loc[0, "productive"] == pytest.approx(11.5 * 0.7)  # 8.05 -> 8 agents answer
    assert voice_full.loc[0, "capacity"] == pytest.approx(15)
    # 8 Erlangs on 8 agents is unstable: no call within 20 s.
    assert voice.loc[0, "service_level"] == 0.0 < voice_full.loc[0, "service_level"]
