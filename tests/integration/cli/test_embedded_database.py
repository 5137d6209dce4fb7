"""Zero-setup: with no DATABASE_URL the CLI runs an embedded PostgreSQL that keeps its data."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port, wait_until_ready

pytestmark = pytest.mark.slow
PASSWORD = "embedded-password-1"


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "DATABASE_APP_URL", "SHOPDESK_JWT_KEYS"}}
    env.update(SHOPDESK_DATA_DIR=str(data_dir), SHOPDESK_LOG_LEVEL="WARNING")
    return env


def _shopdesk(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=_env(data_dir),
                          capture_output=True, text=True, timeout=120, input=PASSWORD + "\n")


def test_data_survives_a_restart_of_the_embedded_server(tmp_path: Path) -> None:
    created = _shopdesk(tmp_path, "create-user", "--email", "owner@example.com",
                        "--password-stdin", "--platform-role", "platform_admin")
    assert created.returncode == 0, created.stderr
    assert (tmp_path / "pgdata" / "PG_VERSION").exists()

    # The first process has exited and stopped its server; a new one finds the same data.
    again = _shopdesk(tmp_path, "create-user", "--email", "owner@example.com", "--password-stdin")
    assert again.returncode == 1 and "user.email_taken" in again.stderr

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
                              env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(url, server, timeout=60)
        login = httpx.post(f"{url}/api/v1/auth/login",
                           json={"email": "owner@example.com", "password": PASSWORD})
        assert login.status_code == 200, login.text
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "listening on" in out and "embedded PostgreSQL" in out
    # No signing key configured: development made one and keeps it for the next start.
    assert (tmp_path / "jwt-dev-key.json").stat().st_mode & 0o777 == 0o600
    # SIGTERM: uvicorn drains, then the CLI exits normally and stops its PostgreSQL.
    assert server.returncode == 0
    postmaster = tmp_path / "pgdata" / "postmaster.pid"
    deadline = time.monotonic() + 10
    while postmaster.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not postmaster.exists(), "the embedded PostgreSQL outlived the server"
