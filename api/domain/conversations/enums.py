"""The workspace's statuses and kinds."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AssignmentMode", "AuthorKind", "ConversationStatus", "Visibility", "TRANSITIONS"]


class ConversationStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    RESOLVED = "resolved"


# What staff may move a conversation to. Only the customer reopens a resolved one (a new
# message starts a new cycle); staff cannot, so a cycle never starts without a customer.
TRANSITIONS: dict[ConversationStatus, frozenset[ConversationStatus]] = {
    ConversationStatus.OPEN: frozenset({ConversationStatus.PENDING, ConversationStatus.RESOLVED}),
    ConversationStatus.PENDING: frozenset({ConversationStatus.OPEN, ConversationStatus.RESOLVED}),
    ConversationStatus.RESOLVED: frozenset(),
}


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    AUTOMATIC = "automatic"  # auto-reply or hosting: never a staff response
    SYSTEM = "system"


class Visibility(StrEnum):
    PUBLIC = "public"
    NOTE = "note"  # internal: never shown to the customer nor sent to the shop's systems


class AssignmentMode(StrEnum):
    OFF = "off"
    ROUND_ROBIN = "round_robin"
    LEAST_OPEN = "least_open"
