"""Refusals of the store-action mechanism, each with its own stable code."""

from __future__ import annotations

import uuid

from api.errors import ApiError

__all__ = ["already_confirmed", "idempotency_key_reused", "in_flight", "not_found",
           "reason_required", "unknown_outcome"]


def not_found() -> ApiError:
    return ApiError(404, "store_action.not_found", "Store action not found.")


def idempotency_key_reused(action_id: uuid.UUID) -> ApiError:
    return ApiError.conflict(
        "store_action.idempotency_key_reused",
        "This idempotency key was already used for a different action.",
        action_id=str(action_id))


def in_flight(action_id: uuid.UUID | None) -> ApiError:
    return ApiError.conflict(
        "store_action.in_flight",
        "The same kind of action on this object is still waiting for the store.",
        action_id=str(action_id) if action_id else None)


def already_confirmed(action_id: uuid.UUID, status: str) -> ApiError:
    return ApiError.conflict("store_action.already_confirmed",
                             "The store already confirmed this action otherwise.",
                             action_id=str(action_id), status=status)


def reason_required() -> ApiError:
    return ApiError.unprocessable("store_action.reason_required",
                                  "A failed action needs the store's reason.")


def unknown_outcome(outcome: str) -> ApiError:
    return ApiError.unprocessable("store_action.unknown_outcome",
                                  "An outcome is 'applied' or 'failed'.", outcome=outcome[:50])
