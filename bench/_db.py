"""A scratch database for a benchmark: on a given server, or on an embedded one.

With a URL (``--database-url`` or ``DATABASE_URL``, a superuser or CREATEDB owner), a fresh
database ``shopdesk_bench_<hex>`` is created on that server and dropped afterwards, so a
benchmark never seeds rows into a database somebody uses. Without one, ``pgserver`` starts
a throwaway cluster in a temporary directory. Either way the real migrations build it.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from api.db.embedded import drop_database, ensure_database
from api.db.migrate import migrate
from api.db.urls import app_url_from_owner, to_libpq_dsn
from api.settings import get_settings

__all__ = ["BenchDatabase", "scratch_database"]


@dataclass(frozen=True, slots=True)
class BenchDatabase:
    owner_url: str  # libpq URL of the owner (migrations, seeding)
    app_url: str  # libpq URL of the API role (RLS applies)
    source: str

    @property
    def app_role(self) -> str:
        return make_url(self.app_url).username or ""


@contextlib.asynccontextmanager
async def scratch_database(server_url: str | None, label: str) -> AsyncIterator[BenchDatabase]:
    """Yield a migrated, empty database; drop it (or the whole embedded cluster) afterwards."""
    settings = get_settings().database
    tmp: Path | None = None
    server = None
    if server_url:
        name = f"shopdesk_bench_{label}_{uuid.uuid4().hex[:8]}"
        owner_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        await ensure_database(owner_url)
        source = f"{make_url(server_url).render_as_string(hide_password=True)} (database {name})"
    else:
        import pgserver

        tmp = Path(tempfile.mkdtemp(prefix=f"shopdesk-bench-{label}-"))
        server = pgserver.get_server(tmp / "pgdata", cleanup_mode="stop")
        owner_url = server.get_uri("postgres")
        source = f"embedded pgserver in {tmp}"
    try:
        await migrate(owner_url, settings.app_role, settings.app_password)
        app_url = app_url_from_owner(owner_url, settings.app_role, settings.app_password)
        yield BenchDatabase(to_libpq_dsn(owner_url), to_libpq_dsn(app_url), source)
    finally:
        if server_url:
            await drop_database(owner_url)
        if server is not None:
            with contextlib.suppress(Exception):
                server.cleanup()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
