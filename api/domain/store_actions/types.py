"""Field types the commerce slices share: exact money, currencies, bounded NUL-free text."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["CURRENCY", "MAX_MINOR", "MONEY", "PLATFORM_ID", "SIGNED_MONEY", "text"]

# Integer minor units (fen, cents), never floats. Bounded well inside bigint so a sum of
# many never overflows and a huge number is a 422, not a database error.
MAX_MINOR = 10**15
MONEY = Annotated[int, msgspec.Meta(ge=0, le=MAX_MINOR)]
# Accepted wider than MONEY where the service refuses a negative with its own code.
SIGNED_MONEY = Annotated[int, msgspec.Meta(ge=-MAX_MINOR, le=MAX_MINOR)]
CURRENCY = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
# The store platform's own id of a product, order, group: printable, bounded.
PLATFORM_ID = Annotated[str, msgspec.Meta(min_length=1, max_length=200,
                                          pattern=r"^[^\x00-\x1f\x7f]+$")]


def text(max_length: int, *, min_length: int = 0) -> object:
    """A string of at most ``max_length`` characters without NUL (PostgreSQL rejects it)."""
    return Annotated[str, msgspec.Meta(min_length=min_length, max_length=max_length,
                                       pattern=r"^[^\x00]*$")]
