"""Product and group refusals, one stable code each."""

from __future__ import annotations

from api.errors import ApiError

__all__ = ["already", "currency_mismatch", "group_not_found", "group_name_taken",
           "nothing_to_change", "not_found", "out_of_stock"]


def not_found() -> ApiError:
    return ApiError(404, "products.not_found", "Product not found.")


def group_not_found() -> ApiError:
    return ApiError(404, "product_groups.not_found", "Product group not found.")


def group_name_taken() -> ApiError:
    return ApiError.conflict("product_groups.name_taken", "A group with this name exists.")


def already(status: str) -> ApiError:
    return ApiError.conflict(f"products.already_{status}", f"The product is already {status}.")


def out_of_stock() -> ApiError:
    return ApiError.conflict("products.out_of_stock", "A product without stock cannot go on sale.")


def nothing_to_change() -> ApiError:
    return ApiError.unprocessable("products.nothing_to_change", "The edit changes nothing.")


def currency_mismatch(expected: str) -> ApiError:
    return ApiError.unprocessable("products.currency_mismatch",
                                  "A price is in the product's currency.", expected=expected)
