"""fieldops: field-service and workforce scheduling engine."""

__version__ = "0.1.0"
