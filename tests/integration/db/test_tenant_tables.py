"""Every shop-owned table follows the tenant pattern, read from PostgreSQL's own catalog.

A shop-owned table is any table with a ``shop_id`` column, whoever's migration made it:
- ``shop_id`` leads its primary key (ready for distribution by ``shop_id``);
- ``shop_id`` is inside every foreign key to another shop-owned table (a row can never
  point into another shop);
- row-level security is enabled *and forced*, with at least one policy.
Exceptions are listed below, each with its reason; a new table joins the list only with one.
"""

from __future__ import annotations

import asyncpg

# table -> why it does not follow the pattern. Keep it short and justified.
NOT_SHOP_OWNED: dict[str, str] = {
    # The policy journal: one row per authorization change, read by every process to catch
    # up; shop_id says which shop's decisions to rebuild (NULL for firm-wide changes).
    "authz_changes": "journal of policy changes, read across shops by the policy loader",
}

_SHOP_TABLES = """
SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity, a.attnum AS shop_attnum,
       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
       (SELECT k.conkey FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
           AS pk
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'shop_id' AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""

_FOREIGN_KEYS = """
SELECT k.conname, k.conrelid, k.confrelid, k.conkey, k.confkey
FROM pg_constraint k
WHERE k.contype = 'f'
"""


async def shop_table_problems(conn: asyncpg.Connection) -> list[str]:
    tables = {row["oid"]: row for row in await conn.fetch(_SHOP_TABLES)
              if row["relname"] not in NOT_SHOP_OWNED}
    problems: list[str] = []
    for row in tables.values():
        name = row["relname"]
        if not row["pk"] or row["pk"][0] != row["shop_attnum"]:
            problems.append(f"{name}: shop_id does not lead the primary key")
        if not (row["relrowsecurity"] and row["relforcerowsecurity"]):
            problems.append(f"{name}: row-level security is not enabled and forced")
        if row["policies"] == 0:
            problems.append(f"{name}: no row-level security policy")
    for fk in await conn.fetch(_FOREIGN_KEYS):
        source, target = tables.get(fk["conrelid"]), tables.get(fk["confrelid"])
        if source is None or target is None:
            continue  # only keys between two shop-owned tables
        if (source["shop_attnum"] not in fk["conkey"]
                or target["shop_attnum"] not in fk["confkey"]):
            problems.append(f"{source['relname']}: foreign key {fk['conname']} to "
                            f"{target['relname']} leaves shop_id out")
    return problems


async def test_every_shop_owned_table_has_the_tenant_pattern(owner: asyncpg.Connection) -> None:
    problems = await shop_table_problems(owner)
    assert problems == [], "\n".join(problems)


async def test_the_allow_list_names_only_tables_that_exist(owner: asyncpg.Connection) -> None:
    names = {r["relname"] for r in await owner.fetch(_SHOP_TABLES)}
    assert set(NOT_SHOP_OWNED) <= names, "an allow-listed table is gone: drop it from the list"


async def test_a_table_off_the_pattern_is_reported(owner: asyncpg.Connection) -> None:
    """Guard the guard: each rule catches a table that breaks it (dropped, or rolled back)."""
    async with owner.transaction():
        await owner.execute("""
            CREATE TABLE zz_parent (shop_id uuid NOT NULL, id uuid NOT NULL,
                                    PRIMARY KEY (shop_id, id), UNIQUE (id));
            ALTER TABLE zz_parent ENABLE ROW LEVEL SECURITY;
            ALTER TABLE zz_parent FORCE ROW LEVEL SECURITY;
            CREATE POLICY p ON zz_parent USING (true);
            CREATE TABLE zz_child (id uuid PRIMARY KEY, shop_id uuid NOT NULL,
                                   parent_id uuid REFERENCES zz_parent (id));
            ALTER TABLE zz_child ENABLE ROW LEVEL SECURITY;
        """)
        problems = [p for p in await shop_table_problems(owner) if p.startswith("zz_")]
        assert problems == [
            "zz_child: shop_id does not lead the primary key",
            "zz_child: row-level security is not enabled and forced",
            "zz_child: no row-level security policy",
            f"zz_child: foreign key {await _fk_name(owner)} to zz_parent leaves shop_id out",
        ]
        await owner.execute("DROP TABLE zz_child, zz_parent")


async def _fk_name(conn: asyncpg.Connection) -> str:
    return await conn.fetchval(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'zz_child'::regclass "
        "AND contype = 'f'")
