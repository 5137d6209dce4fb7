"""Lists and searches of phrases and FAQ entries are index-backed for the API's role, RLS
forced: searches through their bigram tables (ILIKE itself may not use an index under RLS)."""

from __future__ import annotations

import uuid

import asyncpg
from sqlalchemy import text

from api.db.shop_context import bind_shop
from api.domain.faq import services as faq_services
from api.domain.quick_phrases import services as phrase_services
from tests.support.world import World

_GRAMS_SQL = """
INSERT INTO {grams} (shop_id, gram, {key})
SELECT DISTINCT p.shop_id, lower(substr(p.t, i, 2)), p.id
  FROM (SELECT shop_id, id, {text} AS t FROM {table} WHERE shop_id = $1) p,
       generate_series(1, length(p.t) - 1) i
"""


async def _seed(owner: asyncpg.Connection, shop_id: uuid.UUID, rows: int) -> None:
    """A big shop, written as the owner in bulk, grams as the services would write them."""
    async with owner.transaction():
        await owner.execute("SELECT set_config('app.shop_id', $1, true)", str(shop_id))
        await owner.execute(
            "INSERT INTO quick_phrases (shop_id, id, shortcut, body) "
            "SELECT $1, gen_random_uuid(), '/p' || n, '亲,第' || n || '条 ' || left(md5(n::text), 6) "
            "FROM generate_series(1, $2) n", shop_id, rows)
        await owner.execute(_GRAMS_SQL.format(grams="quick_phrase_grams", key="phrase_id",
                                              text="shortcut || chr(10) || body",
                                              table="quick_phrases"), shop_id)
        await owner.execute(
            "INSERT INTO faq_entries (shop_id, id, problem_type, answer) "
            "SELECT $1, gen_random_uuid(), '类型' || (n % 50), '话术 ' || left(md5(n::text), 6) "
            "FROM generate_series(1, $2) n", shop_id, rows)
        await owner.execute(_GRAMS_SQL.format(grams="faq_entry_grams", key="entry_id",
                                              text="search_text", table="faq_entries"), shop_id)
    await owner.execute("ANALYZE quick_phrases; ANALYZE quick_phrase_grams; "
                        "ANALYZE faq_entries; ANALYZE faq_entry_grams")


async def _explain(world: World, shop_id: uuid.UUID, sql: str, params: dict[str, object]) -> str:
    async with world.app.state.sessionmaker() as session, session.begin():
        await bind_shop(session, shop_id)
        rows = (await session.execute(text(f"EXPLAIN {sql}"), params)).all()
    return "\n".join(row[0] for row in rows)


async def test_lists_and_searches_use_indexes(world: World, owner: asyncpg.Connection) -> None:
    shop_id, _ = await world.shop()
    await _seed(owner, shop_id, 5000)

    params: dict[str, object] = {"shop_id": shop_id}
    listing = await _explain(world, shop_id, "SELECT id FROM quick_phrases WHERE shop_id = :shop_id "
                             "AND owner_id IS NULL ORDER BY shortcut, id LIMIT 51", params)
    assert "ix_quick_phrases_shop_list" in listing and "Seq Scan" not in listing, listing

    condition = phrase_services._GRAMS.condition("第4321条", phrase_services._SEARCH_COLUMN, params)
    search = await _explain(world, shop_id, "SELECT id FROM quick_phrases WHERE shop_id = :shop_id "
                            f"AND owner_id IS NULL AND {condition} ORDER BY shortcut, id LIMIT 51",
                            params)
    assert "pk_quick_phrase_grams" in search and "pk_quick_phrases" in search, search
    assert "Seq Scan" not in search, search

    faq_params: dict[str, object] = {"shop_id": shop_id}
    condition = faq_services._GRAMS.condition("c4ca42", "search_text", faq_params)
    faq = await _explain(world, shop_id, f"SELECT id FROM faq_entries WHERE shop_id = :shop_id "
                         f"AND {condition} ORDER BY problem_type, id LIMIT 51", faq_params)
    assert "pk_faq_entry_grams" in faq and "pk_faq_entries" in faq and "Seq Scan" not in faq, faq
