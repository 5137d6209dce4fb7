"""The channels a customer reaches a shop through."""

from __future__ import annotations

from enum import StrEnum

from api.errors import ApiError

__all__ = ["Channel", "parse_channel"]


class Channel(StrEnum):
    WEB = "web"  # the storefront's 联系卖家 / contact-seller widget
    MOBILE = "mobile"
    WECHAT = "wechat"  # the shop's WeChat service account
    LIVE = "live"  # a live-stream room


def parse_channel(value: str) -> Channel:
    """The channel named ``value``, or a 422 of its own (not a generic validation error)."""
    try:
        return Channel(value)
    except ValueError:
        raise ApiError.unprocessable(
            "channel.unknown", "Unknown channel.", channel=value[:50],
            known=[c.value for c in Channel]) from None
