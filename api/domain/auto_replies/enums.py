from __future__ import annotations

from enum import StrEnum

__all__ = ["WEEKDAY_NUMBERS", "MatchKind", "ReplyKind", "Weekday"]


class MatchKind(StrEnum):
    EXACT = "exact"  # 全匹配: the whole message is the keyword
    CONTAINS = "contains"  # 模糊匹配: the message contains the keyword


class ReplyKind(StrEnum):
    KEYWORD = "keyword"
    HOSTING = "hosting"


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


# ISO numbers, as stored (hosting_settings.weekdays) and as datetime.isoweekday() counts.
WEEKDAY_NUMBERS = {day: number for number, day in enumerate(Weekday, start=1)}
