"""Settings: the only module that reads the environment.

Everything configurable is read here once, into frozen dataclasses, and cached. Other
modules take a ``Settings`` (or one of its parts) as an argument or call ``get_settings``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import platformdirs

__all__ = ["AuthSettings", "DatabaseSettings", "ServerSettings", "Settings", "get_settings"]


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """Where the data lives and which roles touch it."""

    # Owner connection: runs migrations and provisions the API's role. Unset: embedded server.
    url: str | None
    # The API's own connection (a role that owns nothing and cannot bypass RLS). Unset: the
    # owner URL with the user swapped for ``app_role``.
    app_url: str | None
    app_role: str
    app_password: str | None
    pool_size: int
    max_overflow: int
    echo: bool


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """Token and login settings."""

    # "kid:secret" pairs separated by commas; the first signs, all verify (key rotation).
    signing_keys: str | None
    issuer: str
    audience: str
    access_ttl_seconds: int
    refresh_ttl_seconds: int
    login_max_failures_per_account: int
    login_max_failures_per_ip: int
    login_window_seconds: int
    # "argon2id" (RFC 9106 low-memory profile) or, for test suites only, "fast-insecure".
    password_hashing: str = "argon2id"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str
    port: int
    max_body_bytes: int
    graceful_timeout_seconds: int


@dataclass(frozen=True, slots=True)
class Settings:
    environment: str
    data_dir: Path
    log_format: str
    log_level: str
    database: DatabaseSettings
    auth: AuthSettings
    server: ServerSettings
    # How often each process checks the policy version, in case a notification was lost.
    authz_poll_seconds: float = field(default=2.0)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def _password_hashing(environment: str) -> str:
    profile = _env("SHOPDESK_PASSWORD_HASHING", "argon2id") or "argon2id"
    if profile not in {"argon2id", "fast-insecure"}:
        raise ValueError("SHOPDESK_PASSWORD_HASHING must be 'argon2id' or 'fast-insecure'")
    if profile != "argon2id" and environment == "production":
        raise ValueError("production refuses SHOPDESK_PASSWORD_HASHING=fast-insecure")
    return profile


def load_settings() -> Settings:
    """Read settings from the environment (uncached; tests call this after patching env)."""
    environment = _env("SHOPDESK_ENV", "development") or "development"
    data_dir = Path(
        _env("SHOPDESK_DATA_DIR", platformdirs.user_data_dir("shopdesk")) or ""
    ).expanduser()
    default_log_format = "json" if environment == "production" else "console"
    return Settings(
        environment=environment,
        data_dir=data_dir,
        log_format=_env("SHOPDESK_LOG_FORMAT", default_log_format) or default_log_format,
        log_level=(_env("SHOPDESK_LOG_LEVEL", "INFO") or "INFO").upper(),
        database=DatabaseSettings(
            url=_env("DATABASE_URL"),
            app_url=_env("DATABASE_APP_URL"),
            app_role=_env("SHOPDESK_DB_APP_ROLE", "shopdesk_app") or "shopdesk_app",
            app_password=_env("SHOPDESK_DB_APP_PASSWORD"),
            pool_size=_env_int("SHOPDESK_DB_POOL_SIZE", 10),
            max_overflow=_env_int("SHOPDESK_DB_MAX_OVERFLOW", 10),
            echo=_env_bool("SHOPDESK_DB_ECHO", False),
        ),
        auth=AuthSettings(
            signing_keys=_env("SHOPDESK_JWT_KEYS"),
            issuer=_env("SHOPDESK_JWT_ISSUER", "shopdesk") or "shopdesk",
            audience=_env("SHOPDESK_JWT_AUDIENCE", "shopdesk-api") or "shopdesk-api",
            access_ttl_seconds=_env_int("SHOPDESK_ACCESS_TTL_SECONDS", 900),
            refresh_ttl_seconds=_env_int("SHOPDESK_REFRESH_TTL_SECONDS", 30 * 24 * 3600),
            login_max_failures_per_account=_env_int("SHOPDESK_LOGIN_MAX_FAILURES_ACCOUNT", 5),
            login_max_failures_per_ip=_env_int("SHOPDESK_LOGIN_MAX_FAILURES_IP", 20),
            login_window_seconds=_env_int("SHOPDESK_LOGIN_WINDOW_SECONDS", 900),
            password_hashing=_password_hashing(environment),
        ),
        server=ServerSettings(
            host=_env("SHOPDESK_HOST", "127.0.0.1") or "127.0.0.1",
            port=_env_int("SHOPDESK_PORT", 8000),
            max_body_bytes=_env_int("SHOPDESK_MAX_BODY_BYTES", 1024 * 1024),
            graceful_timeout_seconds=_env_int("SHOPDESK_GRACEFUL_TIMEOUT_SECONDS", 20),
        ),
        authz_poll_seconds=_env_float("SHOPDESK_AUTHZ_POLL_SECONDS", 2.0),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
