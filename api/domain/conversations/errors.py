"""The workspace's refusals: one factory per refusal, each with its own stable code."""

from __future__ import annotations

from api.errors import ApiError

__all__ = [
    "already_claimed", "assignee_not_staff", "assignee_offline", "claim_first",
    "contact_seller_disabled", "empty_message", "invalid_attachment", "invalid_transition",
    "not_found", "resolved", "status_unchanged", "supervise_required", "transfer_to_self",
    "wechat_window_closed",
]


def not_found() -> ApiError:
    return ApiError.not_found("conversation")


def already_claimed() -> ApiError:
    return ApiError.conflict("conversation.already_claimed",
                             "Another staff member has already claimed this conversation.")


def resolved() -> ApiError:
    return ApiError.conflict("conversation.resolved", "This conversation is resolved.")


def claim_first() -> ApiError:
    return ApiError.conflict("conversation.unclaimed",
                             "Claim this conversation from the queue before working on it.")


def supervise_required() -> ApiError:
    return ApiError(403, "permission.denied", "Your role lacks this permission.",
                    {"permission": "cs:supervise"})


def invalid_transition(old: str, new: str) -> ApiError:
    return ApiError(409, "conversation.invalid_transition",
                    f"A conversation cannot go from {old} to {new}.", {"from": old, "to": new})


def status_unchanged(status: str) -> ApiError:
    return ApiError.conflict("conversation.status_unchanged",
                             f"The conversation is already {status}.", status=status)


def wechat_window_closed() -> ApiError:
    return ApiError.conflict(
        "conversation.wechat_window_closed",
        "The customer last wrote more than 48 hours ago: WeChat refuses messages the "
        "customer has not prompted. Wait for the customer to write again.")


def contact_seller_disabled() -> ApiError:
    return ApiError.forbidden("conversation.contact_seller_disabled",
                              "This shop has contact-seller turned off for its web channel.")


def transfer_to_self() -> ApiError:
    return ApiError.conflict("conversation.transfer_to_current_assignee",
                             "The conversation is already assigned to this staff member.")


def assignee_not_staff() -> ApiError:
    return ApiError.unprocessable("conversation.assignee_not_staff",
                                  "The target is not an active staff member of the "
                                  "customer-service workspace in this shop.")


def assignee_offline() -> ApiError:
    return ApiError.conflict("conversation.assignee_offline",
                             "The target staff member is offline: offline staff get no "
                             "conversations.")


def empty_message() -> ApiError:
    return ApiError.unprocessable("message.empty", "A message needs text or an attachment.")


def invalid_attachment(reason: str) -> ApiError:
    return ApiError.unprocessable("message.attachment_invalid",
                                  "An attachment URL is not acceptable.", reason=reason)
