"""The wheel runs: built from the sources, installed into a fresh virtual environment (not
editable), ``shopdesk serve`` migrates a scratch database and answers ``/health/ready``.

Nothing of the checkout is importable by the server: it starts from another directory with
a fresh home, so Alembic must find its scripts inside the installed package.

The dependencies come from the package registry once, into a wheelhouse kept in the user's
cache and keyed by the pinned requirements; later runs install from it without the network.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from api.db.embedded import drop_database, ensure_database
from tests.support.servers import free_port, wait_until_ready

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("pyproject.toml", "README.md", "api", "rbac", "migrations")


def _pip(*args: str, timeout: float = 600) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                            capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _wheelhouse() -> Path:
    """The pinned dependencies (and the build backend) as wheels, fetched once per pin set."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    requirements = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    key = hashlib.sha256("\n".join([sys.version, *requirements]).encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    house = cache / "shopdesk-tests" / f"wheelhouse-{key}"
    if not (house / ".complete").exists():
        house.mkdir(parents=True, exist_ok=True)
        _pip("wheel", "--quiet", "--wheel-dir", str(house), *requirements)
        (house / ".complete").touch()
    return house


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """A fresh virtual environment with the wheel installed; returns its ``bin``."""
    house = _wheelhouse()
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, source / name, **(
            {"ignore": shutil.ignore_patterns("__pycache__")} if (ROOT / name).is_dir() else {}))
    dist = tmp_path / "dist"
    # Built from a copy, so the build leaves nothing in the checkout.
    _pip("wheel", "--quiet", "--no-deps", "--no-index", "--find-links", str(house),
         "--wheel-dir", str(dist), str(source))
    wheels = list(dist.glob("shopdesk-*.whl"))
    assert len(wheels) == 1, wheels
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    _pip("--python", str(venv / "bin" / "python"), "install", "--quiet", "--no-compile",
         "--no-index", "--find-links", str(house), str(wheels[0]))
    return venv / "bin"


@pytest.fixture
async def scratch_database(postgres_url: tuple[str, str]) -> AsyncIterator[str]:
    """An empty database on the suite's server; ``shopdesk serve`` migrates it."""
    server_url, _ = postgres_url
    name = f"shopdesk_wheel_{uuid.uuid4().hex[:12]}"
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await ensure_database(url)
    try:
        yield url
    finally:
        await drop_database(url)


def test_the_installed_wheel_serves_from_a_fresh_home(installed: Path, scratch_database: str,
                                                      tmp_path: Path) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c", "import api, migrations; print(api.__file__); "
         "print(migrations.__file__)"],
        capture_output=True, text=True, cwd=tmp_path, check=True, timeout=60,
        env={"PATH": os.environ.get("PATH", "")}).stdout.split()
    assert all(str(tmp_path / "venv") in path for path in where), where

    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "DATABASE_URL": scratch_database,
           "SHOPDESK_LOG_LEVEL": "WARNING"}
    port = free_port()
    server = subprocess.Popen([str(installed / "shopdesk"), "serve", "--port", str(port)],
                              cwd=home, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", server, timeout=90)
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err[-3000:]
    assert "listening on" in out
