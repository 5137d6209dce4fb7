"""The API's engine: connects as the API role, which owns nothing and cannot bypass RLS."""

from __future__ import annotations

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.settings import DatabaseSettings

__all__ = ["create_engine", "create_sessionmaker"]


def create_engine(url: URL, settings: DatabaseSettings) -> AsyncEngine:
    connect_args: dict[str, object] = {
        "server_settings": {"application_name": "shopdesk-api"},
        # Bounded waits: with the database away, a request meets a prompt 503
        # (``database.unavailable``) instead of hanging on a connection attempt or the pool.
        "timeout": settings.connect_timeout_seconds,
    }
    if settings.statement_timeout_seconds > 0:
        connect_args["command_timeout"] = settings.statement_timeout_seconds
    return create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        # No pre-ping: it costs a round trip per checkout (BEGIN; ROLLBACK through asyncpg);
        # connections are recycled instead, and a dead one is discarded on its first error.
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_timeout=settings.pool_timeout_seconds,
        echo=settings.echo,
        connect_args=connect_args,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: responses are serialised from objects after the handler returns.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
