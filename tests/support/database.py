"""Where the suite's PostgreSQL comes from, in this order:

1. ``TEST_DATABASE_URL`` (a superuser or owner URL of a running server);
2. a throwaway container, when a Docker engine answers;
3. an embedded server from ``pgserver`` in a temporary directory.

Whichever it is, the suite gets a fresh database of its own, built by the real migrations
and dropped at the end. Never SQLite: isolation is proven on the real engine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from api.db.embedded import drop_database, ensure_database
from api.db.urls import app_url_from_owner, to_libpq_dsn

__all__ = ["TestDatabase", "postgres_server"]

APP_ROLE = "shopdesk_app"


@dataclass(frozen=True, slots=True)
class TestDatabase:
    __test__ = False  # a fixture value, not a test class

    owner_url: str  # superuser/owner: migrations and the isolation tests' raw checks
    app_url: str  # the API role: what the app under test connects with
    source: str

    @property
    def owner_dsn(self) -> str:
        return to_libpq_dsn(self.owner_url)

    @property
    def app_dsn(self) -> str:
        return to_libpq_dsn(self.app_url)


def _docker_answers() -> bool:
    if shutil.which("docker") is None and not os.path.exists("/var/run/docker.sock"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def postgres_server() -> Iterator[tuple[str, str]]:
    """Yield (server URL with a superuser, where it came from)."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url, "TEST_DATABASE_URL"
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield container.get_connection_url(), "testcontainers"
        return
    import pgserver

    tmp = tempfile.mkdtemp(prefix="shopdesk-test-pg-")
    server = pgserver.get_server(tmp, cleanup_mode="delete")
    try:
        yield server.get_uri("postgres"), "pgserver"
    finally:
        server.cleanup()


async def create_test_database(server_url: str, source: str) -> TestDatabase:
    from api.db.migrate import migrate

    name = f"shopdesk_test_{uuid.uuid4().hex[:12]}"
    owner_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await ensure_database(owner_url)
    await migrate(owner_url, APP_ROLE, None)
    app_url = app_url_from_owner(owner_url, APP_ROLE, None).render_as_string(hide_password=False)
    return TestDatabase(owner_url, app_url, source)


async def drop_test_database(db: TestDatabase) -> None:
    await drop_database(db.owner_url)
