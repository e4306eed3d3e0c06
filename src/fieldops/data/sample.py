"""Deterministic generator of realistic field-service days, and the bundled demo day.

A generated day is what a dispatcher of a heating / electrical / facilities
maintenance company sees in the morning: technicians living all over a real metro
area (Lyon or Berlin), each holding two to four of eight skills at levels 1–3, on
08:00–17:00 shifts with up to one hour of overtime and a 30-minute lunch break
between 11:30 and 13:30; and jobs clustered around the area's real
neighbourhoods, 20–120 minutes long, 60 % of them with a 2–4 hour appointment
window, with priorities (critical / high / normal / low ≈ 5 / 20 / 55 / 20 %),
contract tiers (gold: 4 h response, silver: 8 h, bronze: next business day) and
creation times that turn into SLA deadlines, a few preferred and excluded
technicians, and a couple of pinned jobs. Travel uses the default
:class:`~fieldops.domain.TravelSettings` (geodesic × 1.3 at 30 km/h).

At the documented ratio of about seven to eight jobs per technician-day most,
but not all, jobs fit.

Determinism: every random draw comes from :meth:`random.Random.random`, the one
stream Python guarantees to stay the same across versions, so a seed gives the
same day on every machine (the bundled demo file is checked against it in the
tests).

Regenerate the bundled demo with ``python -m fieldops.data.sample --write-demo``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date as Date
from datetime import datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fieldops.domain import (
    ContractTier,
    DispatchProblem,
    FieldError,
    Location,
    LunchBreak,
    Priority,
    ServiceRequest,
    Shift,
    Skill,
    Technician,
    TimeWindow,
)
from fieldops.schemas import problem_from_json, problem_to_json

T = TypeVar("T")

SKILLS: tuple[str, ...] = (
    "electrical",
    "plumbing",
    "hvac",
    "gas",
    "boiler",
    "refrigeration",
    "elevator",
    "network",
)
# How common each skill is among jobs (and, a little flatter, among technicians).
_SKILL_WEIGHTS = (18, 18, 16, 8, 14, 8, 6, 12)

PRIORITY_SHARES: tuple[tuple[Priority, float], ...] = (
    (Priority.CRITICAL, 5),
    (Priority.HIGH, 20),
    (Priority.NORMAL, 55),
    (Priority.LOW, 20),
)

CONTRACT_TIERS: tuple[ContractTier, ...] = (
    ContractTier("gold", response_time=timedelta(hours=4), lateness_weight=4.0),
    ContractTier("silver", response_time=timedelta(hours=8), lateness_weight=2.0),
    ContractTier("bronze", next_business_day=True, business_day_end=time(17, 0)),
)

SHIFT_START = time(8, 0)
SHIFT_END = time(17, 0)
MAX_OVERTIME = timedelta(hours=1)
LUNCH = timedelta(minutes=30)
LUNCH_EARLIEST = time(11, 30)
LUNCH_LATEST_END = time(13, 30)
WINDOW_SHARE = 0.60
VAN_CAPACITY = 15.0
# Spread (standard deviation) of jobs and homes around their neighbourhood centre:
# wide enough that a technician drives 1.5-2.5 h a day, as field crews do.
JOB_SPREAD_KM = 3.0
HOME_SPREAD_KM = 3.0
SUBURBAN_SHARE = 0.6

# (job type, skill, typical minutes, description)
_JOB_TYPES: tuple[tuple[str, str, int, str], ...] = (
    ("electrical fault", "electrical", 60, "Circuit breaker trips, find and fix the fault"),
    ("socket installation", "electrical", 45, "Install additional sockets"),
    ("EV charger install", "electrical", 110, "Install a wall-box charger in the garage"),
    ("leak repair", "plumbing", 50, "Water leak under the sink"),
    ("drain unblocking", "plumbing", 40, "Blocked drain in the bathroom"),
    ("water heater swap", "plumbing", 100, "Replace the water heater"),
    ("AC maintenance", "hvac", 45, "Yearly air-conditioning maintenance"),
    ("heat pump repair", "hvac", 90, "Heat pump shows an error code"),
    ("ventilation check", "hvac", 35, "Check the mechanical ventilation"),
    ("gas safety check", "gas", 40, "Annual gas safety inspection"),
    ("gas leak check", "gas", 30, "Smell of gas reported near the meter"),
    ("boiler service", "boiler", 50, "Annual boiler service"),
    ("boiler breakdown", "boiler", 75, "No heating, no hot water"),
    ("fridge repair", "refrigeration", 60, "Commercial fridge not cooling"),
    ("cold room service", "refrigeration", 90, "Cold-room maintenance visit"),
    ("lift inspection", "elevator", 80, "Periodic lift inspection"),
    ("lift breakdown", "elevator", 70, "Lift stuck between floors"),
    ("router install", "network", 30, "Install and configure the router"),
    ("network cabling", "network", 100, "Cable two offices to the rack"),
)


@dataclass(frozen=True)
class _Area:
    lat: float
    lon: float
    weight: float
    postcode: str
    town: str


@dataclass(frozen=True)
class City:
    """A metro area: its zone, bounds, neighbourhoods and names for addresses."""

    key: str
    timezone: str
    bounds: tuple[float, float, float, float]  # south, west, north, east
    areas: tuple[_Area, ...]
    streets: tuple[str, ...]
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    businesses: tuple[str, ...]
    phone_prefix: str
    street_number_first: bool


# Neighbourhood centres are real (rounded to 1e-4 degrees); weights are rough
# relative amounts of service demand, not census figures.
_LYON = City(
    key="lyon",
    timezone="Europe/Paris",
    bounds=(45.66, 4.72, 45.85, 5.02),
    areas=(
        _Area(45.7578, 4.8320, 6, "69002", "Lyon"),  # Presqu'île / Bellecour
        _Area(45.7622, 4.8270, 3, "69005", "Lyon"),  # Vieux Lyon
        _Area(45.7745, 4.8320, 5, "69004", "Lyon"),  # Croix-Rousse
        _Area(45.7606, 4.8590, 7, "69003", "Lyon"),  # Part-Dieu
        _Area(45.7690, 4.8500, 5, "69006", "Lyon"),  # Brotteaux
        _Area(45.7500, 4.8430, 5, "69007", "Lyon"),  # Guillotière
        _Area(45.7300, 4.8330, 4, "69007", "Lyon"),  # Gerland
        _Area(45.7430, 4.8180, 3, "69002", "Lyon"),  # Confluence
        _Area(45.7740, 4.8040, 3, "69009", "Lyon"),  # Vaise
        _Area(45.7450, 4.8700, 4, "69008", "Lyon"),  # Monplaisir
        _Area(45.7719, 4.8802, 7, "69100", "Villeurbanne"),
        _Area(45.7380, 4.9130, 3, "69500", "Bron"),
        _Area(45.6975, 4.8860, 4, "69200", "Vénissieux"),
        _Area(45.7950, 4.8460, 3, "69300", "Caluire-et-Cuire"),
        _Area(45.7745, 4.7770, 2, "69130", "Écully"),
        _Area(45.7140, 4.8080, 2, "69600", "Oullins"),
        _Area(45.6960, 4.9440, 3, "69800", "Saint-Priest"),
        _Area(45.7790, 4.9220, 3, "69120", "Vaulx-en-Velin"),
        _Area(45.8200, 4.8980, 2, "69140", "Rillieux-la-Pape"),
        _Area(45.7640, 4.7550, 2, "69160", "Tassin-la-Demi-Lune"),
        _Area(45.7690, 4.9590, 2, "69150", "Décines-Charpieu"),
        _Area(45.7080, 4.8530, 1, "69190", "Saint-Fons"),
        _Area(45.7340, 4.7940, 1, "69110", "Sainte-Foy-lès-Lyon"),
    ),
    streets=(
        "rue de la République", "avenue Jean Jaurès", "cours Lafayette", "rue Garibaldi",
        "rue Paul Bert", "avenue Berthelot", "rue Duguesclin", "rue Victor Hugo",
        "avenue Félix Faure", "rue Anatole France", "avenue Roger Salengro", "rue Pasteur",
        "rue Édouard Herriot", "rue de Marseille", "avenue Franklin Roosevelt",
        "rue Jules Guesde", "boulevard des Belges", "rue Marietton", "rue de la Charité",
        "chemin de Saint-Bonnet", "rue du Repos", "avenue Lacassagne", "rue Servient",
        "rue Bossuet", "montée de la Boucle", "rue Henri Barbusse", "rue Émile Zola",
    ),
    first_names=(
        "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Julie", "Emma", "Claire",
        "Nathalie", "Hugo", "Lucas", "Thomas", "Nicolas", "Julien", "Karim", "Antoine",
        "Mehdi", "Pierre", "Mathieu", "Sophie", "Yanis", "Louis", "Amandine", "Romain",
    ),
    last_names=(
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
        "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "Benali", "Chevalier",
        "Perrin", "Mercier", "Blanc", "Guerin", "Boyer", "Faure",
    ),
    businesses=(
        "Boulangerie", "Pharmacie", "Brasserie", "Hôtel", "Cabinet médical", "Supérette",
        "Crèche", "Garage", "Agence immobilière", "Résidence",
    ),
    phone_prefix="+33 4 78",
    street_number_first=True,
)

_BERLIN = City(
    key="berlin",
    timezone="Europe/Berlin",
    bounds=(52.41, 13.22, 52.61, 13.58),
    areas=(
        _Area(52.5200, 13.4050, 7, "10178", "Berlin"),  # Mitte
        _Area(52.4986, 13.4030, 6, "10999", "Berlin"),  # Kreuzberg
        _Area(52.5380, 13.4240, 6, "10405", "Berlin"),  # Prenzlauer Berg
        _Area(52.5160, 13.3040, 5, "10585", "Berlin"),  # Charlottenburg
        _Area(52.4810, 13.4350, 6, "12043", "Berlin"),  # Neukölln
        _Area(52.5150, 13.4540, 5, "10243", "Berlin"),  # Friedrichshain
        _Area(52.4830, 13.3530, 4, "10823", "Berlin"),  # Schöneberg
        _Area(52.5500, 13.3600, 4, "13347", "Berlin"),  # Wedding
        _Area(52.5350, 13.2000, 2, "13597", "Berlin"),  # Spandau
        _Area(52.4560, 13.3220, 3, "12163", "Berlin"),  # Steglitz
        _Area(52.4660, 13.3850, 3, "12099", "Berlin"),  # Tempelhof
        _Area(52.5690, 13.4020, 3, "13187", "Berlin"),  # Pankow
        _Area(52.5130, 13.4990, 3, "10365", "Berlin"),  # Lichtenberg
        _Area(52.4930, 13.4670, 2, "12435", "Berlin"),  # Treptow
        _Area(52.5440, 13.5640, 2, "12679", "Berlin"),  # Marzahn
        _Area(52.5880, 13.3300, 2, "13437", "Berlin"),  # Reinickendorf
        _Area(52.4450, 13.5750, 1, "12555", "Berlin"),  # Köpenick
        _Area(52.4340, 13.2590, 1, "14163", "Berlin"),  # Zehlendorf
    ),
    streets=(
        "Hauptstraße", "Schönhauser Allee", "Karl-Marx-Straße", "Kantstraße",
        "Torstraße", "Frankfurter Allee", "Sonnenallee", "Müllerstraße", "Bergmannstraße",
        "Schloßstraße", "Greifswalder Straße", "Potsdamer Straße", "Danziger Straße",
        "Warschauer Straße", "Turmstraße", "Oranienstraße", "Wilmersdorfer Straße",
        "Prenzlauer Allee", "Tempelhofer Damm", "Berliner Straße", "Landsberger Allee",
    ),
    first_names=(
        "Anna", "Lena", "Marie", "Sophie", "Laura", "Julia", "Sarah", "Lea", "Hannah",
        "Katrin", "Lukas", "Jonas", "Leon", "Felix", "Paul", "Tim", "Jan", "Murat",
        "Stefan", "Thomas", "Michael", "Emre", "Sven", "Anja", "Kai",
    ),
    last_names=(
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
        "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Yilmaz",
        "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier",
    ),
    businesses=(
        "Bäckerei", "Apotheke", "Gaststätte", "Hotel", "Arztpraxis", "Späti", "Kita",
        "Autowerkstatt", "Hausverwaltung", "Wohnanlage",
    ),
    phone_prefix="+49 30",
    street_number_first=False,
)

CITIES: dict[str, City] = {c.key: c for c in (_LYON, _BERLIN)}

DEFAULT_DATE = Date(2026, 3, 3)  # a Tuesday
DEMO_JOBS = 250
DEMO_TECHNICIANS = 30
DEMO_SEED = 2026
DEMO_CITY = "lyon"
DEMO_RESOURCE = "demo_day.json"


class _Rng:
    """Draws built only on ``random.Random.random`` (stable across Python versions)."""

    def __init__(self, seed: int) -> None:
        self._r = random.Random(seed)

    def random(self) -> float:
        return self._r.random()

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self._r.random()

    def below(self, n: int) -> int:
        return min(int(self._r.random() * n), n - 1)

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.below(len(seq))]

    def weighted(self, seq: Sequence[T], weights: Sequence[float]) -> T:
        x = self._r.random() * sum(weights)
        for item, w in zip(seq, weights, strict=True):
            x -= w
            if x < 0:
                return item
        return seq[-1]

    def gauss(self) -> float:
        # Box-Muller; 1 - random() is in (0, 1] so the log is finite.
        u1 = 1.0 - self._r.random()
        u2 = self._r.random()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def sample(self, seq: Sequence[T], k: int) -> list[T]:
        pool = list(seq)
        out: list[T] = []
        for _ in range(min(k, len(pool))):
            out.append(pool.pop(self.below(len(pool))))
        return out


_KM_PER_DEG_LAT = 111.2


def _scatter(rng: _Rng, city: City, area: _Area, sigma_km: float) -> tuple[float, float]:
    """A point around ``area`` (normal, ``sigma_km``), kept inside the city's bounds."""
    south, west, north, east = city.bounds
    km_per_deg_lon = _KM_PER_DEG_LAT * math.cos(math.radians(area.lat))
    for _ in range(20):
        lat = area.lat + rng.gauss() * sigma_km / _KM_PER_DEG_LAT
        lon = area.lon + rng.gauss() * sigma_km / km_per_deg_lon
        if south <= lat <= north and west <= lon <= east:
            return round(lat, 5), round(lon, 5)
    return area.lat, area.lon


def _address(rng: _Rng, city: City, area: _Area) -> str:
    street = rng.choice(city.streets)
    number = 1 + rng.below(140)
    if city.street_number_first:
        return f"{number} {street}, {area.postcode} {area.town}"
    return f"{street} {number}, {area.postcode} {area.town}"


def _person(rng: _Rng, city: City) -> str:
    return f"{rng.choice(city.first_names)} {rng.choice(city.last_names)}"


def _phone(rng: _Rng, city: City) -> str:
    digits = " ".join(f"{rng.below(100):02d}" for _ in range(3))
    return f"{city.phone_prefix} {digits}"


def _at(day: Date, t: time, tz: ZoneInfo, minutes: float = 0.0) -> datetime:
    return datetime.combine(day, t, tzinfo=tz) + timedelta(minutes=minutes)


def _previous_business_day(day: Date) -> Date:
    prev = day - timedelta(days=1)
    while prev.weekday() >= 5:
        prev -= timedelta(days=1)
    return prev


def _technicians(rng: _Rng, city: City, n: int) -> list[Technician]:
    techs: list[Technician] = []
    flat = [w + 6 for w in _SKILL_WEIGHTS]  # technicians are less skewed than demand
    area_weights = [1.0 + 0.5 * a.weight for a in city.areas]  # homes spread widely
    width = max(2, len(str(n)))
    for i in range(n):
        area = rng.weighted(city.areas, area_weights)
        lat, lon = _scatter(rng, city, area, sigma_km=HOME_SPREAD_KM)
        count = 2 + rng.below(3)  # 2–4 skills
        chosen: list[str] = []
        while len(chosen) < count:
            name = rng.weighted(SKILLS, flat)
            if name not in chosen:
                chosen.append(name)
        skills = tuple(
            Skill(name, rng.weighted((1, 2, 3), (35, 45, 20))) for name in sorted(chosen)
        )
        name = _person(rng, city)
        techs.append(
            Technician(
                id=f"T{i + 1:0{width}d}",
                name=name,
                home=Location(lat, lon, address=_address(rng, city, area)),
                skills=skills,
                tags=frozenset({"senior"} if sum(s.level for s in skills) >= 8 else ()),
                territory=area.town,
                cost_per_hour=round(rng.uniform(32, 52), 2),
                capacity=VAN_CAPACITY,
                email=name.lower().replace(" ", ".") + f".{i + 1}@example.com",
                phone=_phone(rng, city),
            )
        )
    return techs


def _window(
    rng: _Rng, day: Date, tz: ZoneInfo, duration_min: int
) -> TimeWindow:
    """A 2–4 h appointment window for the start of service, ending in time to finish by 17:30."""
    length = rng.weighted((120, 180, 240), (50, 20, 30))
    latest_end = 17 * 60 + 30 - duration_min  # minutes after midnight
    starts = [s for s in range(8 * 60, 16 * 60 + 1, 60) if s + length <= max(latest_end, 10 * 60)]
    start = rng.choice(starts) if starts else 8 * 60
    return TimeWindow(
        _at(day, time(0), tz, start), _at(day, time(0), tz, min(start + length, 17 * 60))
    )


def generate_field_day(
    n_jobs: int,
    n_technicians: int,
    seed: int = 0,
    date: Date = DEFAULT_DATE,
    city: str = "lyon",
) -> DispatchProblem:
    """A realistic field-service day, the same for the same arguments.

    Parameters
    ----------
    n_jobs
        Number of service requests (≥ 1). About 7–8 per technician is a full day.
    n_technicians
        Number of technicians (≥ 1), one 08:00–17:00 shift each.
    seed
        Random seed.
    date
        The (local) day to plan; SLA creation times fall on it and the business day
        before.
    city
        ``"lyon"`` (Europe/Paris) or ``"berlin"`` (Europe/Berlin).

    Returns
    -------
    DispatchProblem
        Named ``field-day-<city>-<date>-<jobs>j-<techs>t-s<seed>``.
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise FieldError("n_jobs", "must be a positive integer")
    if isinstance(n_technicians, bool) or not isinstance(n_technicians, int) or n_technicians < 1:
        raise FieldError("n_technicians", "must be a positive integer")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise FieldError("seed", "must be an integer")
    if not isinstance(date, Date) or isinstance(date, datetime):
        raise FieldError("date", "must be a datetime.date")
    if city not in CITIES:
        raise FieldError("city", f"must be one of {', '.join(sorted(CITIES))}")
    where = CITIES[city]
    tz = ZoneInfo(where.timezone)
    rng = _Rng(seed)

    techs = _technicians(rng, where, n_technicians)
    lunch = LunchBreak(
        duration=LUNCH,
        earliest_start=_at(date, LUNCH_EARLIEST, tz),
        latest_start=_at(date, LUNCH_LATEST_END, tz) - LUNCH,
    )
    shifts = [
        Shift(
            id=f"S-{t.id}-{date.isoformat()}",
            technician_id=t.id,
            start=_at(date, SHIFT_START, tz),
            end=_at(date, SHIFT_END, tz),
            lunch=lunch,
            max_overtime=MAX_OVERTIME,
        )
        for t in techs
    ]

    area_weights = [a.weight for a in where.areas]
    prio_values = [p for p, _ in PRIORITY_SHARES]
    prio_weights = [w for _, w in PRIORITY_SHARES]
    prev_day = _previous_business_day(date)
    width = max(4, len(str(n_jobs)))
    n_customers = max(1, int(n_jobs * 0.85))
    requests: list[ServiceRequest] = []
    for i in range(n_jobs):
        area = rng.weighted(where.areas, area_weights)
        if rng.random() < SUBURBAN_SHARE:  # anywhere in the metro area
            south, west, north, east = where.bounds
            lat, lon = round(rng.uniform(south, north), 5), round(rng.uniform(west, east), 5)
        else:
            lat, lon = _scatter(rng, where, area, sigma_km=JOB_SPREAD_KM)
        job_type, skill, typical, description = rng.choice(_JOB_TYPES)
        # Typical times are for a full visit; most visits run shorter.
        minutes = round(typical * rng.uniform(0.65, 1.2) / 5.0) * 5
        minutes = max(20, min(120, minutes))
        level = rng.weighted((1, 2, 3), (40, 40, 20))
        required = [Skill(skill, level)]
        if rng.random() < 0.12:  # some jobs need a second trade, at a basic level
            other = rng.weighted(SKILLS, _SKILL_WEIGHTS)
            if other != skill:
                required.append(Skill(other, 1))
        priority = rng.weighted(prio_values, prio_weights)
        # Critical work mostly comes from gold contracts; low-priority work from bronze.
        tier_weights = {
            Priority.CRITICAL: (60, 30, 10),
            Priority.HIGH: (35, 40, 25),
            Priority.NORMAL: (15, 35, 50),
            Priority.LOW: (5, 25, 70),
        }[priority]
        tier = rng.weighted(("gold", "silver", "bronze"), tier_weights)
        if tier == "gold":  # created this morning: deadline between 10:00 and 16:00
            created = _at(date, time(6, 0), tz, rng.uniform(0, 360))
        elif tier == "silver":  # created early today or late yesterday
            created = _at(date, time(0), tz, rng.uniform(-240, 480))
        else:  # created during the previous business day: due today 17:00
            created = _at(prev_day, time(8, 0), tz, rng.uniform(0, 600))
        created = created.replace(second=0, microsecond=0)
        windows: tuple[TimeWindow, ...] = ()
        if rng.random() < WINDOW_SHARE:
            windows = (_window(rng, date, tz, minutes),)
        customer = 1 + rng.below(n_customers)
        if rng.random() < 0.25:
            customer_name = f"{rng.choice(where.businesses)} {rng.choice(where.last_names)}"
        else:
            customer_name = _person(rng, where)
        qualified = [t.id for t in techs if t.qualifies_for(tuple(required))]
        preferred: tuple[str, ...] = ()
        excluded: tuple[str, ...] = ()
        if qualified and rng.random() < 0.10:
            preferred = (rng.choice(qualified),)
        if rng.random() < 0.04:
            candidate = rng.choice(techs).id
            if candidate not in preferred:
                excluded = (candidate,)
        load = float(rng.weighted((0, 1, 2, 3), (40, 35, 18, 7)))
        requests.append(
            ServiceRequest(
                id=f"J{i + 1:0{width}d}",
                customer_id=f"C{customer:05d}",
                location=Location(lat, lon, address=_address(rng, where, area)),
                duration=timedelta(minutes=minutes),
                windows=windows,
                required_skills=tuple(required),
                priority=priority,
                contract_tier=tier,
                created_at=created,
                preferred_technicians=preferred,
                excluded_technicians=excluded,
                load=load,
                job_type=job_type,
                description=description,
                customer_name=customer_name,
                customer_phone=_phone(rng, where),
            )
        )

    requests = _pin_a_couple(rng, requests, techs, date, tz)
    return DispatchProblem(
        horizon=TimeWindow(_at(date, time(0), tz), _at(date + timedelta(days=1), time(0), tz)),
        timezone=where.timezone,
        technicians=tuple(techs),
        shifts=tuple(shifts),
        requests=tuple(requests),
        contract_tiers=CONTRACT_TIERS,
        skills=SKILLS,
        name=f"field-day-{city}-{date.isoformat()}-{n_jobs}j-{n_technicians}t-s{seed}",
    )


def _pin_a_couple(
    rng: _Rng,
    requests: list[ServiceRequest],
    techs: list[Technician],
    day: Date,
    tz: ZoneInfo,
) -> list[ServiceRequest]:
    """Pin two jobs (one per technician) to a qualified technician.

    The first pin also fixes the start at 10:00, as for work promised to the
    minute; it is chosen among jobs without a window so the promise cannot clash.
    """
    out = list(requests)
    used: set[str] = set()
    pins = 0
    order = rng.sample(range(len(out)), len(out))
    for idx in order:
        if pins == 2:
            break
        req = out[idx]
        if req.preferred_technicians or req.excluded_technicians:
            continue
        if pins == 0 and req.windows:
            continue
        qualified = [
            t.id for t in techs if t.id not in used and t.qualifies_for(req.required_skills)
        ]
        if not qualified:
            continue
        tech = rng.choice(qualified)
        used.add(tech)
        start = _at(day, time(10, 0), tz) if pins == 0 else None
        out[idx] = replace(req, pinned_technician=tech, pinned_start=start)
        pins += 1
    return out


def demo_day_json() -> dict[str, object]:
    """The bundled demo day as JSON, freshly generated."""
    problem = generate_field_day(
        DEMO_JOBS, DEMO_TECHNICIANS, seed=DEMO_SEED, date=DEFAULT_DATE, city=DEMO_CITY
    )
    return problem_to_json(problem)


def load_demo_day() -> DispatchProblem:
    """The bundled demo day: about 30 technicians and 250 requests in Lyon."""
    text = resources.files("fieldops.data").joinpath(DEMO_RESOURCE).read_text(encoding="utf-8")
    return problem_from_json(json.loads(text))


_INSTANT = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(Z|[+-]\d{2}:\d{2})")


def demo_day_json_on(day: Date) -> dict[str, Any]:
    """The bundled demo day as JSON, moved to ``day``: every instant keeps its local
    wall-clock time in the day's time zone (the UTC offset is recomputed, so a day
    moved across a daylight-saving change still starts at 08:00 local)."""
    text = resources.files("fieldops.data").joinpath(DEMO_RESOURCE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    zone = ZoneInfo(data["timezone"])
    offset = day - Date.fromisoformat(data["horizon"]["start"][:10])

    def move(match: re.Match[str]) -> str:
        stamp = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
        local = stamp.astimezone(zone).replace(tzinfo=None) + offset
        return local.replace(tzinfo=zone).isoformat()

    moved: dict[str, Any] = json.loads(_INSTANT.sub(move, text))
    return moved


def write_demo_day(path: str | Path | None = None) -> Path:
    """Regenerate the bundled demo file (``path`` defaults to the package copy)."""
    target = Path(path) if path is not None else Path(__file__).with_name(DEMO_RESOURCE)
    target.write_text(
        json.dumps(demo_day_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return target


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write-demo", action="store_true", help="rewrite demo_day.json")
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--technicians", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--city", default="lyon", choices=sorted(CITIES))
    parser.add_argument("--date", type=Date.fromisoformat, default=DEFAULT_DATE)
    parser.add_argument("-o", "--output", help="write the problem JSON here (default stdout)")
    args = parser.parse_args(argv)
    if args.write_demo:
        print(write_demo_day(args.output))
        return
    problem = generate_field_day(
        args.jobs, args.technicians, seed=args.seed, date=args.date, city=args.city
    )
    text = json.dumps(problem_to_json(problem), indent=1, ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)


if __name__ == "__main__":
    main()
