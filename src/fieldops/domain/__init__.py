"""Typed, validated domain objects: the contract of the whole system."""

from fieldops.domain.errors import FieldError
from fieldops.domain.location import Location
from fieldops.domain.plan import (
    DispatchPlan,
    PlanKPIs,
    PlanStatus,
    Route,
    RouteKPIs,
    Step,
    StepKind,
    Unassigned,
    UnassignedReason,
)
from fieldops.domain.problem import (
    DispatchProblem,
    ObjectiveWeights,
    TravelMatrix,
    TravelProvider,
    TravelSettings,
)
from fieldops.domain.requests import ContractTier, Priority, ServiceRequest
from fieldops.domain.resources import LunchBreak, Shift, Skill, Technician
from fieldops.domain.timewindow import TimeWindow

__all__ = [
    "ContractTier",
    "DispatchPlan",
    "DispatchProblem",
    "FieldError",
    "Location",
    "LunchBreak",
    "ObjectiveWeights",
    "PlanKPIs",
    "PlanStatus",
    "Priority",
    "Route",
    "RouteKPIs",
    "ServiceRequest",
    "Shift",
    "Skill",
    "Step",
    "StepKind",
    "Technician",
    "TimeWindow",
    "TravelMatrix",
    "TravelProvider",
    "TravelSettings",
    "Unassigned",
    "UnassignedReason",
]
