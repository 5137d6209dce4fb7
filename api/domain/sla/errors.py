"""The SLA slice's refusals: one factory per refusal, each with its own stable code."""

from __future__ import annotations

from typing import Any

from api.errors import ApiError

__all__ = ["duplicate_target", "empty_range", "negative_target", "overlapping_intervals",
           "range_out_of_bounds", "range_too_long", "target_too_small", "unknown_timezone"]


def unknown_timezone(name: str) -> ApiError:
    return ApiError.unprocessable("sla.unknown_timezone", "Unknown timezone.", timezone=name)


def overlapping_intervals(a: dict[str, Any], b: dict[str, Any]) -> ApiError:
    return ApiError.unprocessable("sla.overlapping_intervals",
                                  "Two business-hours intervals overlap.", intervals=[a, b])


def negative_target(metric: str) -> ApiError:
    return ApiError.unprocessable("sla.negative_target", "A target cannot be negative.",
                                  metric=metric)


def target_too_small(metric: str) -> ApiError:
    return ApiError.unprocessable("sla.target_too_small", "A target must be at least 1 second.",
                                  metric=metric)


def duplicate_target(metric: str, channel: str | None, priority: str | None) -> ApiError:
    return ApiError.unprocessable("sla.duplicate_target",
                                  "Two targets for the same metric, channel and priority.",
                                  metric=metric, channel=channel, priority=priority)


def empty_range() -> ApiError:
    return ApiError.unprocessable("sla.empty_range", "'until' must be after 'since'.")


def range_too_long(max_days: int) -> ApiError:
    return ApiError.unprocessable("sla.range_too_long",
                                  f"A report covers at most {max_days} days.", max_days=max_days)


def range_out_of_bounds(earliest: str, latest: str) -> ApiError:
    return ApiError.unprocessable("sla.range_out_of_bounds",
                                  f"A report lies between {earliest} and {latest}.",
                                  earliest=earliest, latest=latest)
