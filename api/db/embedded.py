"""The embedded PostgreSQL used when no ``DATABASE_URL`` is configured.

``pgserver`` ships real PostgreSQL binaries in a wheel. The cluster lives under the data
directory, so data survives restarts; it listens only on a Unix socket inside that
directory. The server is stopped when the last process holding it exits.
"""

from __future__ import annotations

import logging
from pathlib import Path

import asyncpg

from api.db.urls import to_libpq_dsn

__all__ = ["DATABASE_NAME", "drop_database", "ensure_database", "start_embedded_postgres"]

DATABASE_NAME = "shopdesk"
logger = logging.getLogger(__name__)


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or attach to) the embedded cluster and return its superuser URL."""
    import pgserver  # imported lazily: only the zero-setup path needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pgdata"
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    # get_uri() names the "postgres" maintenance database; the app gets its own database.
    return server.get_uri(DATABASE_NAME)


async def ensure_database(owner_url: str) -> None:
    """Create the URL's database if it does not exist yet (connecting to ``postgres``)."""
    from sqlalchemy.engine import make_url

    url = make_url(owner_url)
    name = url.database or DATABASE_NAME
    maintenance = to_libpq_dsn(url.set(database="postgres"))
    conn = await asyncpg.connect(maintenance)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            # Identifiers cannot be bound parameters; quote_ident does the escaping.
            quoted = await conn.fetchval("SELECT quote_ident($1)", name)
            await conn.execute(f"CREATE DATABASE {quoted}")
            logger.info("created database %s", name)
    finally:
        await conn.close()


async def drop_database(owner_url: str) -> None:
    """Drop the URL's database, disconnecting whoever is still on it (scratch databases)."""
    from sqlalchemy.engine import make_url

    url = make_url(owner_url)
    conn = await asyncpg.connect(to_libpq_dsn(url.set(database="postgres")))
    try:
        quoted = await conn.fetchval("SELECT quote_ident($1)", url.database)
        await conn.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        await conn.close()
