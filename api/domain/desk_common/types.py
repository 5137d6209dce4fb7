"""Bounded input types: every text field has a length bound and refuses NUL characters.

PostgreSQL rejects ``\\x00`` in text with an error; refusing it in the schema keeps bad
input a 422 instead of a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec

__all__ = ["CURRENCY", "MINOR", "PLATFORM_ID", "check_utc_dates", "text"]

_NO_NUL = r"^[^\x00]*$"


def text(max_length: int, min_length: int = 0) -> object:
    """A ``str`` of ``min_length``..``max_length`` characters, NUL refused."""
    return Annotated[str, msgspec.Meta(min_length=min_length, max_length=max_length,
                                       pattern=_NO_NUL)]


PLATFORM_ID = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_NO_NUL,
                                          description="The store platform's own id.")]
# Money: integer minor units (fen, cents), bounded well inside bigint.
MINOR = Annotated[int, msgspec.Meta(ge=0, le=10**15)]
CURRENCY = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]


def check_utc_dates(struct: msgspec.Struct) -> None:
    """For ``__post_init__``: refuse a time with no UTC date (0001-01-01 at +01:00, 9999-12-31
    at -01:00). The driver converts every time to UTC, and would fail there with a 500; raised
    here, msgspec makes it a validation error."""
    for name in struct.__struct_fields__:
        value = getattr(struct, name)
        if isinstance(value, datetime) and value.tzinfo is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise ValueError(f"`{name}` is outside the calendar once in UTC") from None
