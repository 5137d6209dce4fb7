"""Polls and their votes: the store pushes both; results are counted from the votes."""

from __future__ import annotations

import json
import uuid
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.desk_common.paging import newest_first
from api.domain.polls import errors
from api.domain.polls.schemas import (
    OptionResult,
    PollOption,
    PollPush,
    PollRead,
    PollResults,
    VotePush,
)
from api.pagination import Page

__all__ = ["get_poll", "list_polls", "push_poll", "push_vote", "results"]

_COLUMNS = "id, platform_id, question, options, is_private, status, created_at"


async def _tally(session: AsyncSession, shop_id: uuid.UUID, poll_ids: list[uuid.UUID]
                 ) -> dict[uuid.UUID, dict[str, int]]:
    if not poll_ids:
        return {}
    rows = await session.execute(text(
        "SELECT poll_id, option_id, count(*) AS votes FROM poll_votes "
        "WHERE shop_id = :shop_id AND poll_id = ANY(:ids) GROUP BY poll_id, option_id"),
        {"shop_id": shop_id, "ids": poll_ids})
    tally: dict[uuid.UUID, dict[str, int]] = {}
    for row in rows:
        tally.setdefault(row.poll_id, {})[row.option_id] = row.votes
    return tally


def _results(row: Any, counts: dict[str, int]) -> PollResults:
    options = [OptionResult(option_id=o["id"], label=o["label"], votes=counts.get(o["id"], 0))
               for o in row.options]
    return PollResults(poll_id=row.id, total_votes=sum(o.votes for o in options), options=options)


def _read(row: Any, counts: dict[str, int] | None, may_see_private: bool) -> PollRead:
    hidden = row.is_private and not may_see_private
    return PollRead(id=row.id, platform_id=row.platform_id, question=row.question,
                    options=[PollOption(o["id"], o["label"]) for o in row.options],
                    is_private=row.is_private, status=row.status, created_at=row.created_at,
                    results=None if hidden else _results(row, counts or {}),
                    results_hidden=hidden)


async def _row(session: AsyncSession, shop_id: uuid.UUID, poll_id: uuid.UUID) -> Any:
    row = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM polls WHERE shop_id = :shop_id AND id = :id"),
        {"shop_id": shop_id, "id": poll_id})).first()
    if row is None:
        raise errors.poll_not_found()
    return row


async def get_poll(session: AsyncSession, shop_id: uuid.UUID, poll_id: uuid.UUID, *,
                   may_see_private: bool) -> PollRead:
    row = await _row(session, shop_id, poll_id)
    hidden = row.is_private and not may_see_private
    # A hidden result is never counted, so nothing about it can leak through timing or bugs.
    counts = {} if hidden else (await _tally(session, shop_id, [row.id])).get(row.id, {})
    return _read(row, counts, may_see_private)


async def results(session: AsyncSession, shop_id: uuid.UUID, poll_id: uuid.UUID) -> PollResults:
    row = await _row(session, shop_id, poll_id)
    return _results(row, (await _tally(session, shop_id, [row.id])).get(row.id, {}))


async def list_polls(session: AsyncSession, shop_id: uuid.UUID, *, limit: int,
                     cursor: str | None, may_see_private: bool) -> Page[PollRead]:
    page = await newest_first(session, f"SELECT {_COLUMNS} FROM polls WHERE shop_id = :shop_id",
                              {"shop_id": shop_id}, ts="created_at", id_col="id", limit=limit,
                              cursor=cursor, build=lambda r: r,
                              key=lambda r: (r.created_at, r.id))
    visible = [r.id for r in page.items if may_see_private or not r.is_private]
    tally = await _tally(session, shop_id, visible)
    return Page(items=[_read(r, tally.get(r.id, {}), may_see_private) for r in page.items],
                next_cursor=page.next_cursor)


async def push_poll(session: AsyncSession, shop_id: uuid.UUID, data: PollPush
                    ) -> tuple[PollRead, bool]:
    seen: set[str] = set()
    for option in data.options:
        if option.id in seen:
            raise errors.duplicate_option(option.id)
        seen.add(option.id)
    row = (await session.execute(text(
        f"INSERT INTO polls AS p (shop_id, id, platform_id, question, options, is_private, status) "
        f"VALUES (:shop_id, :id, :platform_id, :question, CAST(:options AS jsonb), :private, "
        f":status) ON CONFLICT (shop_id, platform_id) DO UPDATE SET question = EXCLUDED.question, "
        f"options = EXCLUDED.options, is_private = EXCLUDED.is_private, "
        f"status = EXCLUDED.status, updated_at = now() RETURNING {_COLUMNS}, (xmax = 0) AS ins"),
        {"shop_id": shop_id, "id": uuid.uuid4(), "platform_id": data.platform_id,
         "question": data.question, "options": json.dumps(msgspec.to_builtins(data.options)),
         "private": data.is_private, "status": data.status})).one()
    counts = (await _tally(session, shop_id, [row.id])).get(row.id, {})
    return _read(row, counts, True), bool(row.ins)


async def push_vote(session: AsyncSession, shop_id: uuid.UUID, data: VotePush) -> PollResults:
    row = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM polls WHERE shop_id = :shop_id AND platform_id = :p FOR SHARE"),
        {"shop_id": shop_id, "p": data.poll_platform_id})).first()
    if row is None:
        raise errors.poll_not_found()
    if row.status != "open":
        raise errors.poll_closed()
    if data.option_id not in {o["id"] for o in row.options}:
        raise errors.unknown_option(data.option_id)
    await session.execute(text(
        "INSERT INTO poll_votes (shop_id, poll_id, voter_ref, option_id) "
        "VALUES (:shop_id, :poll, :voter, :option) ON CONFLICT (shop_id, poll_id, voter_ref) "
        "DO UPDATE SET option_id = EXCLUDED.option_id, voted_at = now()"),
        {"shop_id": shop_id, "poll": row.id, "voter": data.voter_ref, "option": data.option_id})
    return _results(row, (await _tally(session, shop_id, [row.id])).get(row.id, {}))
