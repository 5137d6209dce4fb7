"""After-sales refusals, one stable code each."""

from __future__ import annotations

from api.errors import ApiError

__all__ = ["case_closed", "case_not_found", "conversation_customer_mismatch",
           "currency_mismatch", "exceeds_paid", "order_not_paid", "unknown_case",
           "unknown_conversation"]


def case_not_found() -> ApiError:
    return ApiError(404, "after_sales.case_not_found", "After-sales case not found.")


def unknown_conversation() -> ApiError:
    return ApiError.unprocessable("after_sales.unknown_conversation",
                                  "No such conversation in this shop.")


def conversation_customer_mismatch() -> ApiError:
    return ApiError.unprocessable("after_sales.conversation_customer_mismatch",
                                  "The conversation is with another customer than the order's.")


def case_closed(status: str) -> ApiError:
    return ApiError.conflict("after_sales.case_closed", "The case is already closed.",
                             status=status)


def unknown_case() -> ApiError:
    return ApiError.unprocessable("refunds.unknown_case",
                                  "No such after-sales case for this order.")


def order_not_paid() -> ApiError:
    return ApiError.conflict("refunds.order_not_paid", "Only a paid order can be refunded.")


def currency_mismatch(expected: str) -> ApiError:
    return ApiError.unprocessable("refunds.currency_mismatch",
                                  "A refund is in the order's currency.", expected=expected)


def exceeds_paid(paid_minor: int, refunded_minor: int) -> ApiError:
    return ApiError.conflict("refunds.exceeds_paid",
                             "Refunds would exceed what the buyer paid.",
                             paid_minor=paid_minor, refunded_minor=refunded_minor,
                             refundable_minor=max(paid_minor - refunded_minor, 0))
