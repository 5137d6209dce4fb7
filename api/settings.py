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

__all__ = ["AuthSettings", "DatabaseSettings", "RateLimitSettings", "ServerSettings", "Settings",
           "WebhookSettings", "get_settings"]


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
    # Bounds on waiting for PostgreSQL: a request meets a prompt 503 instead of hanging when
    # the database is down or the pool is exhausted.
    connect_timeout_seconds: float = 5.0
    pool_timeout_seconds: float = 10.0
    # Per statement; 0 = no limit. A runaway query must not hold a pooled connection forever.
    statement_timeout_seconds: float = 0.0


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
    # Deepest nesting of arrays and objects a JSON body may have (checked before parsing).
    max_json_depth: int = 32
    # Proxies whose X-Forwarded-For names the client (comma-separated IPs or CIDRs, "*" for
    # any). Empty: nobody's; the peer address is the client. Used by the app itself, the same
    # under any ASGI server (``shopdesk serve`` tells uvicorn not to rewrite addresses).
    forwarded_allow_ips: str = ""


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Webhook delivery (issue 9). Defaults suit production; tests shorten the clocks."""

    # Receivers on private, loopback or link-local addresses (SSRF): refused unless allowed.
    allow_private: bool = False
    dispatcher_enabled: bool = True
    poll_seconds: float = 1.0  # the sweep for retries and lost notifications
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 6 * 3600.0
    max_attempts: int = 10
    disable_after_failures: int = 30  # consecutive failed attempts before the endpoint stops
    timeout_seconds: float = 15.0
    concurrency: int = 32


@dataclass(frozen=True, slots=True)
class RateLimitSettings:
    """Requests per window for integration keys, unless the firm set a shop's own limits."""

    per_key: int = 600
    per_shop: int = 1200
    window_seconds: int = 60


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Outgoing mail (invitations). ``outbox`` writes each message to a file under the data
    directory (development, tests); ``smtp`` sends it."""

    backend: str = "outbox"  # "outbox" | "smtp"
    sender: str = "ShopDesk <no-reply@shopdesk.invalid>"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = True
    # Links in mail point here (the accept page of whoever fronts the API).
    public_url: str = "http://127.0.0.1:8000"
    invitation_ttl_seconds: int = 7 * 24 * 3600


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
    # Identical refusals (same caller, route and reason) within this window become one audit
    # entry counting them, so nobody can flood the chain.
    audit_fold_seconds: float = field(default=60.0)
    # The SLA breach worker's pass interval (0 disables it in this process).
    sla_worker_seconds: float = field(default=1.0)
    # /metrics: with a token set, scrapers must send ``Authorization: Bearer <token>``;
    # with loopback_only, only 127.0.0.1/::1 may scrape. Both unset: open (local dev).
    metrics_token: str | None = field(default=None)
    metrics_loopback_only: bool = field(default=False)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    rate_limits: RateLimitSettings = field(default_factory=RateLimitSettings)
    # A live-stream presence not refreshed for this long counts as offline (issue 6).
    live_presence_ttl_seconds: float = field(default=120.0)
    # Signed audit checkpoints: "<key id>:<base64url Ed25519 private key>" (``shopdesk audit
    # keygen``), held only by the API's environment, never by the database. Unset: none taken.
    audit_checkpoint_key: str | None = field(default=None, repr=False)
    audit_checkpoint_seconds: float = field(default=3600.0)  # 0: only on demand (CLI)
    # login_attempts older than this are deleted (they only serve the sign-in limits).
    login_attempts_keep_seconds: int = field(default=7 * 24 * 3600)
    mail: MailSettings = field(default_factory=MailSettings)

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


def _mail_backend() -> str:
    backend = _env("SHOPDESK_MAIL_BACKEND", "outbox") or "outbox"
    if backend not in {"outbox", "smtp"}:
        raise ValueError("SHOPDESK_MAIL_BACKEND must be 'outbox' or 'smtp'")
    return backend


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
            connect_timeout_seconds=_env_float("SHOPDESK_DB_CONNECT_TIMEOUT_SECONDS", 5.0),
            pool_timeout_seconds=_env_float("SHOPDESK_DB_POOL_TIMEOUT_SECONDS", 10.0),
            statement_timeout_seconds=_env_float("SHOPDESK_DB_STATEMENT_TIMEOUT_SECONDS", 0.0),
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
            max_json_depth=_env_int("SHOPDESK_MAX_JSON_DEPTH", 32),
            forwarded_allow_ips=_env("SHOPDESK_FORWARDED_ALLOW_IPS", "") or "",
        ),
        authz_poll_seconds=_env_float("SHOPDESK_AUTHZ_POLL_SECONDS", 2.0),
        audit_fold_seconds=_env_float("SHOPDESK_AUDIT_FOLD_SECONDS", 60.0),
        webhooks=WebhookSettings(
            allow_private=_env_bool("SHOPDESK_WEBHOOKS_ALLOW_PRIVATE", False),
            dispatcher_enabled=_env_bool("SHOPDESK_WEBHOOKS_DISPATCHER", True),
            poll_seconds=_env_float("SHOPDESK_WEBHOOKS_POLL_SECONDS", 1.0),
            retry_base_seconds=_env_float("SHOPDESK_WEBHOOKS_RETRY_BASE_SECONDS", 5.0),
            retry_max_seconds=_env_float("SHOPDESK_WEBHOOKS_RETRY_MAX_SECONDS", 6 * 3600.0),
            max_attempts=_env_int("SHOPDESK_WEBHOOKS_MAX_ATTEMPTS", 10),
            disable_after_failures=_env_int("SHOPDESK_WEBHOOKS_DISABLE_AFTER_FAILURES", 30),
            timeout_seconds=_env_float("SHOPDESK_WEBHOOKS_TIMEOUT_SECONDS", 15.0),
            concurrency=_env_int("SHOPDESK_WEBHOOKS_CONCURRENCY", 32),
        ),
        rate_limits=RateLimitSettings(
            per_key=_env_int("SHOPDESK_RATE_LIMIT_PER_KEY", 600),
            per_shop=_env_int("SHOPDESK_RATE_LIMIT_PER_SHOP", 1200),
            window_seconds=_env_int("SHOPDESK_RATE_LIMIT_WINDOW_SECONDS", 60),
        ),
        live_presence_ttl_seconds=_env_float("SHOPDESK_LIVE_PRESENCE_TTL_SECONDS", 120.0),
        audit_checkpoint_key=_env("SHOPDESK_AUDIT_CHECKPOINT_KEY"),
        audit_checkpoint_seconds=_env_float("SHOPDESK_AUDIT_CHECKPOINT_SECONDS", 3600.0),
        login_attempts_keep_seconds=_env_int("SHOPDESK_LOGIN_ATTEMPTS_KEEP_SECONDS",
                                             7 * 24 * 3600),
        mail=MailSettings(
            backend=_mail_backend(),
            sender=_env("SHOPDESK_MAIL_FROM") or "ShopDesk <no-reply@shopdesk.invalid>",
            smtp_host=_env("SHOPDESK_SMTP_HOST", "localhost") or "localhost",
            smtp_port=_env_int("SHOPDESK_SMTP_PORT", 587),
            smtp_username=_env("SHOPDESK_SMTP_USERNAME"),
            smtp_password=_env("SHOPDESK_SMTP_PASSWORD"),
            smtp_starttls=_env_bool("SHOPDESK_SMTP_STARTTLS", True),
            public_url=(_env("SHOPDESK_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
            invitation_ttl_seconds=_env_int("SHOPDESK_INVITATION_TTL_SECONDS", 7 * 24 * 3600),
        ),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
