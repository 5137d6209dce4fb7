from __future__ import annotations

from api.errors import ApiError

__all__ = ["entry_not_found"]


def entry_not_found() -> ApiError:
    return ApiError(404, "faq.not_found", "FAQ entry not found.")
