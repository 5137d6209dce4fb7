"""Auto-reply and hosting refusals."""

from __future__ import annotations

from api.errors import ApiError

__all__ = ["duplicate_weekday", "empty_window", "rule_not_found"]


def rule_not_found() -> ApiError:
    return ApiError(404, "auto_replies.not_found", "Auto-reply rule not found.")


def empty_window(index: int) -> ApiError:
    return ApiError.unprocessable("hosting.empty_window",
                                  "A hosting window must end at another time than it starts.",
                                  window=index)


def duplicate_weekday(day: str) -> ApiError:
    return ApiError.unprocessable("hosting.duplicate_weekday", "A weekday is listed twice.",
                                  weekday=day)
