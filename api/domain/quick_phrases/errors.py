"""Quick phrase refusals, and the unique constraints a concurrent writer can hit."""

from __future__ import annotations

from api.errors import ApiError

__all__ = ["CONSTRAINT_CODES", "group_not_found", "phrase_not_found"]

CONSTRAINT_CODES = {
    "uq_quick_phrases_shop_shortcut": (
        "quick_phrases.shortcut_taken", "The shop already has a phrase with this shortcut."),
    "uq_quick_phrases_personal_shortcut": (
        "quick_phrases.shortcut_taken", "You already have a phrase with this shortcut."),
    "uq_quick_phrase_groups_shop_name": (
        "quick_phrases.group_name_taken", "The shop already has a group with this name."),
    "uq_quick_phrase_groups_personal_name": (
        "quick_phrases.group_name_taken", "You already have a group with this name."),
}


def phrase_not_found() -> ApiError:
    return ApiError(404, "quick_phrases.not_found", "Quick phrase not found.")


def group_not_found() -> ApiError:
    return ApiError(404, "quick_phrases.group_not_found", "Quick phrase group not found.")
