"""Refusals of the reviews slice, one stable code each."""

from __future__ import annotations

from api.errors import ApiError

__all__ = ["already_replied", "no_reply", "phrase_empty", "reply_empty", "reply_not_failed", "follow_up_incomplete", "forbidden_phrase", "no_follow_up",
           "phrase_exists", "phrase_not_found", "review_not_found"]


def review_not_found() -> ApiError:
    return ApiError(404, "review.not_found", "Review not found.")


def already_replied() -> ApiError:
    return ApiError(409, "review.already_replied", "This review already has its public reply.")


def forbidden_phrase(phrase: str) -> ApiError:
    return ApiError(422, "review.forbidden_phrase",
                    "The reply contains a phrase the shop forbids (a reward or threat for a "
                    "rating).", {"phrase": phrase})


def no_follow_up() -> ApiError:
    return ApiError(404, "review.follow_up_not_found", "This review has no follow-up.")


def follow_up_incomplete() -> ApiError:
    return ApiError(409, "review.follow_up_incomplete",
                    "Record the apology and the fix before closing the follow-up.")


def phrase_exists() -> ApiError:
    return ApiError(409, "review.phrase_exists", "This phrase is already on the list.")


def phrase_not_found() -> ApiError:
    return ApiError(404, "review.phrase_not_found", "Forbidden phrase not found.")


def phrase_empty() -> ApiError:
    return ApiError(422, "review.phrase_empty", "The phrase has no visible text.")


def reply_empty() -> ApiError:
    return ApiError(422, "review.reply_empty", "The reply has no visible text.")


def no_reply() -> ApiError:
    return ApiError(404, "review.reply_not_found", "This review has no reply yet.")


def reply_not_failed(status: str | None) -> ApiError:
    return ApiError(409, "review.reply_not_failed",
                    "Only a reply the store failed can be sent again.", {"status": status})
