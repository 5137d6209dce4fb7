from __future__ import annotations

from enum import StrEnum

__all__ = ["ListScope", "PhraseScope"]


class PhraseScope(StrEnum):
    SHOP = "shop"  # everyone of the shop sees it; quick_phrases:write_shop edits it
    PERSONAL = "personal"  # one staff member's own, invisible to everyone else


class ListScope(StrEnum):
    ALL = "all"  # the shop's and my own
    SHOP = "shop"
    PERSONAL = "personal"
