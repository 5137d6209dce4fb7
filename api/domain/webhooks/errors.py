"""Webhook refusals, one code each."""

from __future__ import annotations

from api.errors import ApiError

__all__ = ["delivery_not_found", "endpoint_not_found", "invalid_pattern", "too_many_endpoints"]

MAX_ENDPOINTS_PER_SHOP = 50


def endpoint_not_found() -> ApiError:
    return ApiError(404, "webhook.endpoint_not_found", "Webhook endpoint not found.")


def delivery_not_found() -> ApiError:
    return ApiError(404, "webhook.delivery_not_found", "Webhook delivery not found.")


def invalid_pattern(pattern: str) -> ApiError:
    return ApiError(422, "webhook.event_type_invalid",
                    "Event types are dotted names, a prefix ending in '.*', or '*'.",
                    {"event_type": pattern[:100]})


def too_many_endpoints() -> ApiError:
    return ApiError(409, "webhook.too_many_endpoints",
                    f"A shop has at most {MAX_ENDPOINTS_PER_SHOP} webhook endpoints.",
                    {"limit": MAX_ENDPOINTS_PER_SHOP})
