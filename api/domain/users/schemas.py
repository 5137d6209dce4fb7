"""User payloads."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

__all__ = ["EMAIL", "PASSWORD", "PHONE", "UserRead"]

# Deliberately plain: one "@", no spaces, a dot in the domain. Delivery proves the rest.
# Whitespace and control characters spelled out: ``\s`` differs between Python's regex (the
# decoder) and ECMA-262's (clients validating against the published pattern).
_ADDR = r"[^@\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+"
EMAIL = Annotated[str, msgspec.Meta(min_length=3, max_length=320,
                                    pattern=rf"^{_ADDR}@{_ADDR}\.{_ADDR}$")]
PHONE = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9]{6,20}$")]
PASSWORD = Annotated[str, msgspec.Meta(min_length=10, max_length=256)]


class UserRead(msgspec.Struct):
    id: uuid.UUID
    email: str
    display_name: str
    phone: str | None = None
    platform_role: str | None = None
