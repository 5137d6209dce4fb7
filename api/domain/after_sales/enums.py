"""After-sales kinds and statuses."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CaseKind", "CaseStatus", "RefundStatus"]


class CaseKind(StrEnum):
    DISPUTE = "dispute"  # 维权
    RETURN = "return"
    EXCHANGE = "exchange"
    COMPLAINT = "complaint"


class CaseStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    REJECTED = "rejected"


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    APPLIED = "applied"
    FAILED = "failed"
