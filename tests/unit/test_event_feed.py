"""A shop feed serves readers from memory only when it holds every row after theirs."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from api.domain.events.stream import EventHub, EventRow, ShopFeed


def row(seq: int) -> EventRow:
    return EventRow(seq, uuid.uuid4(), "t", "cs:workspace", None, f'{{"n":{seq}}}',
                    datetime(2026, 12, 1, tzinfo=UTC))


async def test_rows_after() -> None:
    hub = EventHub(engine=None, listen_dsn=None)  # type: ignore[arg-type]
    feed = ShopFeed.__new__(ShopFeed)
    feed.hub, feed.shop_id, feed.readers = hub, uuid.uuid4(), set()
    feed.rows, feed.seqs, feed.tail = [], [], None
    assert feed.rows_after(0) is None  # tail unknown: read the table
    feed.tail = 10
    assert feed.rows_after(10) == [] and feed.rows_after(12) == []
    assert feed.rows_after(3) is None  # behind, nothing buffered
    feed._append([row(11), row(12), row(13)])
    assert [r.seq for r in feed.rows_after(10)] == [11, 12, 13]
    assert [r.seq for r in feed.rows_after(12)] == [13]
    assert feed.rows_after(9) is None  # 10 is not in memory
    assert feed.tail == 13
    await asyncio.sleep(0)


def test_frames_are_sse() -> None:
    frame = row(7).encoded.decode()
    assert frame.startswith("id: 7\nevent: t\ndata: {") and frame.endswith("}\n\n")
    assert '"data":{"n":7}' in frame
    odd = EventRow(8, uuid.uuid4(), "a\nb", "p", None, "{}", datetime(2026, 12, 1, tzinfo=UTC))
    assert "event:" not in odd.encoded.decode()  # never a broken frame
