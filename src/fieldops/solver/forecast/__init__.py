"""Contact-volume forecasting: history in, forecast per interval and queue out."""

from fieldops.solver.forecast.io import (
    forecast_to_json,
    read_volumes,
    volumes_from_frame,
    volumes_from_records,
    volumes_to_records,
    write_volumes,
)
from fieldops.solver.forecast.model import METHODS, forecast, wape_bias

__all__ = [
    "METHODS",
    "forecast",
    "forecast_to_json",
    "read_volumes",
    "volumes_from_frame",
    "volumes_from_records",
    "volumes_to_records",
    "wape_bias",
    "write_volumes",
]
