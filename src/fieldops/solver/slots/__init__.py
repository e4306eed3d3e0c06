"""Appointment slots: offers of bookable windows, booking and taking a job out.

Pure functions over a day's published plan (see docs/customers.md):
:func:`offer_slots` ranks the slots of a day by what booking them would add to
the plan, :func:`book_slot` books one (the live emergency insertion with the slot
as window), :func:`remove_job` takes a booked job out (cancel, reschedule).
"""

from fieldops.solver.slots.book import Booked, book_slot, booked_request
from fieldops.solver.slots.grid import (
    DEFAULT_GRID,
    check_grid,
    day_slots,
    local_day,
    open_slots,
    parse_slot_id,
    slot_id,
    slot_windows,
)
from fieldops.solver.slots.offer import SlotOffer, SlotParams, offer_slots
from fieldops.solver.slots.remove import remove_job

__all__ = [
    "DEFAULT_GRID",
    "Booked",
    "SlotOffer",
    "SlotParams",
    "book_slot",
    "booked_request",
    "check_grid",
    "day_slots",
    "local_day",
    "offer_slots",
    "open_slots",
    "parse_slot_id",
    "remove_job",
    "slot_id",
    "slot_windows",
]
