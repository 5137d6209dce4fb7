"""Connection URL helpers: one place that knows how URLs are spelled for each driver."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url

__all__ = ["app_url_from_owner", "to_asyncpg_url", "to_libpq_dsn"]


def to_asyncpg_url(url: str | URL) -> URL:
    """The same database as a SQLAlchemy ``postgresql+asyncpg`` URL."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql+asyncpg")


def to_libpq_dsn(url: str | URL) -> str:
    """A plain ``postgresql://`` DSN for raw asyncpg connections (LISTEN, benchmarks)."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def app_url_from_owner(owner_url: str | URL, role: str, password: str | None) -> URL:
    """The owner's URL with the API's role as the user (same host, port and database)."""
    return to_asyncpg_url(owner_url).set(username=role, password=password)
