"""Bring a database to the current schema, as its owner.

Provisioning (the API's login role and the policy loader role) is idempotent and happens
before Alembic runs; the role→permission policy is synced from the catalog afterwards, so a
release that changes the matrix changes the stored policy in the same step.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import re
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config

from api.db.urls import to_asyncpg_url, to_libpq_dsn

__all__ = ["MIGRATIONS_DIR", "alembic_config", "ensure_roles", "loader_role_for", "migrate"]



def _migrations_dir() -> Path:
    """Alembic's script directory: the ``migrations`` package, wherever it is installed.

    A wheel ships it next to ``api`` in site-packages; a checkout has it at the repository
    root. Never the working directory: a ``serve`` started anywhere finds its own scripts.
    """
    try:
        found = Path(str(importlib.resources.files("migrations")))
    except ModuleNotFoundError:
        found = None  # an editable install from before migrations became a package
    if found is not None and (found / "env.py").is_file():
        return found
    return Path(__file__).resolve().parents[2] / "migrations"


MIGRATIONS_DIR = _migrations_dir()
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def loader_role_for(app_role: str) -> str:
    return f"{app_role}_authz_loader"


def _check_role_name(name: str) -> str:
    if not _ROLE_NAME.match(name):
        raise ValueError(f"invalid PostgreSQL role name {name!r}")
    return name


async def ensure_roles(conn: asyncpg.Connection, app_role: str, app_password: str | None) -> None:
    """Create the API's role (no ownership, no RLS bypass) and the loader role if absent.

    Also takes the default ``TEMPORARY`` and ``CREATE ON SCHEMA public`` privileges away from
    ``PUBLIC``. Every statement is idempotent.
    """
    app_role = _check_role_name(app_role)
    loader = _check_role_name(loader_role_for(app_role))
    for role, login in ((app_role, "LOGIN"), (loader, "NOLOGIN")):
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        if not exists:
            try:
                await conn.execute(
                    f"CREATE ROLE {role} {login} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
                )
            except asyncpg.DuplicateObjectError:
                pass  # another process created it between our check and our CREATE
    if app_password:
        quoted = await conn.fetchval("SELECT quote_literal($1)", app_password)
        await conn.execute(f"ALTER ROLE {app_role} PASSWORD {quoted}")
    database = await conn.fetchval("SELECT quote_ident(current_database())")
    await conn.execute(f"GRANT CONNECT ON DATABASE {database} TO {app_role}")
    # No role but the owner may create objects: a temporary table or a table in public
    # named like ours would shadow it for any SQL that resolves names through search_path.
    await conn.execute(f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC")
    await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")


def alembic_config(owner_url: str, app_role: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.attributes["owner_url"] = to_asyncpg_url(owner_url).render_as_string(hide_password=False)
    cfg.attributes["app_role"] = _check_role_name(app_role)
    cfg.attributes["loader_role"] = loader_role_for(app_role)
    return cfg


async def migrate(owner_url: str, app_role: str, app_password: str | None = None) -> None:
    """Provision roles, upgrade to head and sync the role→permission policy."""
    from rbac.policy_store import sync_role_permissions

    # Serialise concurrent migrators (several replicas starting at once).
    conn = await asyncpg.connect(to_libpq_dsn(owner_url))
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtextextended('shopdesk:migrate', 0))")
        await ensure_roles(conn, app_role, app_password)
        # Alembic's env runs its own event loop, so it gets a thread of its own.
        await asyncio.to_thread(command.upgrade, alembic_config(owner_url, app_role), "head")
        async with conn.transaction():
            await sync_role_permissions(conn)
    finally:
        await conn.close()
