from __future__ import annotations

from api.errors import ApiError

__all__ = ["duplicate_option", "poll_closed", "poll_not_found", "unknown_option"]


def poll_not_found() -> ApiError:
    return ApiError(404, "poll.not_found", "Poll not found.")


def poll_closed() -> ApiError:
    return ApiError(409, "poll.closed", "This poll is closed.")


def unknown_option(option_id: str) -> ApiError:
    return ApiError(422, "poll.unknown_option", "This poll has no such option.",
                    {"option_id": option_id})


def duplicate_option(option_id: str) -> ApiError:
    return ApiError(422, "poll.duplicate_option", "Each option id appears once.",
                    {"option_id": option_id})
