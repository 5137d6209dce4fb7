"""The shops slice's refusals that a database constraint can also raise."""

from __future__ import annotations

from api.errors import ApiError, register_constraint_codes

__all__ = ["CONSTRAINT_CODES", "slug_taken"]

_SLUG_TAKEN = ("shop.slug_taken", "A shop with this slug already exists.")

# Onboarding checks the slug first; two requests racing for it meet the constraint instead.
CONSTRAINT_CODES = {"uq_shops_slug": _SLUG_TAKEN}
register_constraint_codes(CONSTRAINT_CODES)


def slug_taken(slug: str) -> ApiError:
    return ApiError.conflict(*_SLUG_TAKEN, slug=slug)
