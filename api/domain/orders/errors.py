"""Refusals of the order desk, one stable code each."""

from __future__ import annotations

from api.errors import ApiError

__all__ = ["already_shipped", "close_after_shipping", "finished", "not_found", "not_paid",
           "out_of_range_time",
           "refusal_after_signing", "refusal_not_shipped", "refusal_window_passed",
           "reprice_after_shipping", "reprice_below_zero", "unknown_close_reason",
           "unknown_customer"]


def not_found() -> ApiError:
    return ApiError(404, "orders.not_found", "Order not found.")


def out_of_range_time(name: str) -> ApiError:
    return ApiError(400, "orders.time_out_of_range",
                    "This time has no date in UTC (before year 1 or after 9999).",
                    {"parameter": name})


def unknown_customer() -> ApiError:
    return ApiError.unprocessable("orders.unknown_customer", "No such customer in this shop.")


def finished(status: str) -> ApiError:
    return ApiError.conflict("orders.finished", "The order is closed or refunded.", status=status)


def reprice_below_zero() -> ApiError:
    return ApiError.unprocessable("orders.reprice_below_zero", "A price is never below zero.")


def reprice_after_shipping(status: str) -> ApiError:
    return ApiError.conflict("orders.reprice_after_shipping",
                             "An order's price cannot change once it has shipped.", status=status)


def not_paid(status: str) -> ApiError:
    return ApiError.conflict("orders.not_paid", "The order is not paid yet.", status=status)


def already_shipped(status: str) -> ApiError:
    return ApiError.conflict("orders.already_shipped", "The order has already shipped.",
                             status=status)


def close_after_shipping(status: str) -> ApiError:
    return ApiError.conflict("orders.close_after_shipping",
                             "A shipped order cannot be cancelled; handle it as after-sales.",
                             status=status)


def unknown_close_reason(code: str) -> ApiError:
    return ApiError.unprocessable("orders.unknown_close_reason",
                                  "That is not one of the shop's close reasons.", reason=code)


def refusal_not_shipped(status: str) -> ApiError:
    return ApiError.conflict("orders.refusal_not_shipped",
                             "Only a shipped order can be refused on delivery.", status=status)


def refusal_after_signing() -> ApiError:
    return ApiError.conflict("orders.refusal_after_signing",
                             "The buyer already signed for the order.")


def refusal_window_passed(deadline: str) -> ApiError:
    return ApiError.conflict("orders.refusal_window_passed",
                             "The store's time limit for refusing delivery has passed.",
                             deadline=deadline)
