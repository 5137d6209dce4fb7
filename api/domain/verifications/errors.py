"""Refusals of verification, one stable code each.

An unknown code is 404 and an expired one 410 (it existed and is gone), for every caller;
``COUNTED`` are the refusals that count against the member's attempt budget.
"""

from __future__ import annotations

from datetime import datetime

from api.errors import ApiError

__all__ = ["COUNTED", "already_redeemed", "bad_expiry", "expired", "order_not_found",
           "too_many_attempts", "unknown_code"]

COUNTED = frozenset({"verification.unknown_code", "verification.expired",
                     "verification.already_redeemed"})


def unknown_code() -> ApiError:
    return ApiError(404, "verification.unknown_code", "No verification code matches.")


def expired(expires_at: datetime) -> ApiError:
    return ApiError(410, "verification.expired", "This verification code has expired.",
                    {"expired_at": expires_at.isoformat()})


def already_redeemed(redeemed_at: datetime) -> ApiError:
    return ApiError(409, "verification.already_redeemed",
                    "This verification code was already redeemed.",
                    {"redeemed_at": redeemed_at.isoformat()})


def too_many_attempts(retry_after_seconds: int) -> ApiError:
    return ApiError(429, "verification.too_many_attempts",
                    "Too many failed redemptions; wait before trying again.",
                    {"retry_after_seconds": retry_after_seconds})


def order_not_found() -> ApiError:
    return ApiError(404, "verification.order_not_found", "No order with this platform id.")


def bad_expiry() -> ApiError:
    return ApiError(422, "verification.bad_expiry",
                    "A code must expire in the future and within 366 days.")
