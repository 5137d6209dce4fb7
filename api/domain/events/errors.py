from __future__ import annotations

from api.errors import ApiError

__all__ = ["last_event_id_ahead", "last_event_id_invalid"]


def last_event_id_invalid() -> ApiError:
    return ApiError(400, "events.invalid_last_event_id",
                    "Last-Event-ID must be the seq of an event of this shop.")


def last_event_id_ahead(tail: int) -> ApiError:
    return ApiError(400, "events.last_event_id_ahead",
                    "Last-Event-ID is past the shop's latest event.", {"latest_seq": tail})
