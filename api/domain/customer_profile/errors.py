"""Customer-profile refusals, one stable code each."""

from __future__ import annotations

from api.errors import ApiError

__all__ = ["customer_not_found", "idempotency_key_reused", "insufficient_points",
           "level_in_use", "level_not_found", "level_taken", "rule_not_found", "rule_taken",
           "tag_name_taken", "tag_not_found", "zero_delta"]


def customer_not_found() -> ApiError:
    return ApiError(404, "customers.not_found", "Customer not found.")


def tag_not_found() -> ApiError:
    return ApiError(404, "customer_tags.not_found", "Customer tag not found.")


def tag_name_taken() -> ApiError:
    return ApiError.conflict("customer_tags.name_taken", "A tag with this name exists.")


def level_not_found() -> ApiError:
    return ApiError(404, "customer_levels.not_found", "Customer level not found.")


def level_taken() -> ApiError:
    return ApiError.conflict("customer_levels.taken",
                             "Another level has this name or rank.")


def level_in_use() -> ApiError:
    return ApiError.conflict("customer_levels.in_use",
                             "Customers hold this level; move them first.")


def rule_not_found() -> ApiError:
    return ApiError(404, "points_rules.not_found", "Points rule not found.")


def rule_taken() -> ApiError:
    return ApiError.conflict("points_rules.name_taken", "A rule with this name exists.")


def insufficient_points(balance: int, delta: int) -> ApiError:
    return ApiError.conflict("points.insufficient_balance",
                             "The customer's points balance cannot go below zero.",
                             balance=balance, delta=delta)


def idempotency_key_reused() -> ApiError:
    return ApiError.conflict("points.idempotency_key_reused",
                             "This idempotency key was already used for another entry.")


def zero_delta() -> ApiError:
    return ApiError.unprocessable("points.zero_delta", "An entry moves at least one point.")
