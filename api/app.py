"""The application factory: wiring only."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Router
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy.engine import URL
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.auth.integration_keys import KeyCache
from api.auth.keys import load_keyring
from api.auth.middleware import BearerAuthMiddleware
from api.auth.passwords import configure_hashing
from api.auth.tokens import TokenService
from api.db.engine import create_engine, create_sessionmaker
from api.db.hooks import on_commit, on_rollback
from api.db.reader import create_reader_pool, provide_shop_reader
from api.db.session import provide_db_session, provide_shop_scope, provide_shop_session
from api.db.urls import app_url_from_owner, to_asyncpg_url, to_libpq_dsn
from api.db.writer import provide_shop_writer
from api.domain.audit.checkpoints import load_signer
from api.domain.audit.context import provide_audit_context
from api.domain.audit.denials import RefusalAuditMiddleware, audit_rolled_back_refusal
from api.domain.audit.folds import FoldFlusher
from api.domain.authz.catch_up import catch_up_after_commit
from api.domain.conversations import wiring as workspace_wiring
from api.domain.events.stream import event_stream_lifespan
from api.domain.integrations.usage import note_key_use
from api.domain.invitations.services import Delivery
from api.domain.members import founder as members_founder
from api.domain.rate_limits.guard import rate_limit_guard, rate_limit_headers
from api.domain.sla import subscriptions as sla_subscriptions
from api.domain.sla.live import seconds_to_breach, seconds_to_breach_on
from api.domain.sla.worker import breach_worker_lifespan
from api.domain.webhooks.dispatcher import webhooks_lifespan
from api.errors import exception_handlers
from api.guard import permission_guard
from api.mail import create_mailer
from api.maintenance import maintenance_lifespan
from api.observability import RequestContextMiddleware, configure_logging
from api.request_limits import RequestLimitsMiddleware
from api.routes import firm_route_handlers, shop_route_handlers
from api.routing import PUBLIC_KEY, document_responses
from api.settings import Settings, get_settings
from rbac.runtime import AuthzRuntime

__all__ = ["create_app", "resolve_app_url"]


def resolve_app_url(settings: Settings) -> URL:
    """The URL the API connects with: explicit, or the owner's with the API role swapped in."""
    db = settings.database
    if db.app_url:
        return to_asyncpg_url(db.app_url)
    if db.url:
        return app_url_from_owner(db.url, db.app_role, db.app_password)
    raise RuntimeError(
        "No database configured: set DATABASE_URL, or start with `shopdesk serve`, which "
        "runs an embedded PostgreSQL when DATABASE_URL is unset."
    )


def create_app(settings: Settings | None = None, *, database_url: URL | str | None = None,
               start_policy_listener: bool = True,
               extra_shop_route_handlers: Sequence[Any] = ()) -> Litestar:
    """Build the API. ``database_url`` (the API role's URL) overrides what settings say.

    ``extra_shop_route_handlers`` mounts more handlers under ``/shops/{shop_id}`` behind the
    same guard (the matrix tests use it to probe every permission through real HTTP).
    """
    settings = settings or get_settings()
    configure_logging(settings.log_format, settings.log_level)
    configure_hashing(settings.auth.password_hashing)
    app_url = to_asyncpg_url(database_url) if database_url else resolve_app_url(settings)
    tokens = TokenService(load_keyring(settings), settings.auth)  # refuses to start without a key
    audit_signer = load_signer(settings.audit_checkpoint_key)  # refuses a malformed key
    invitation_delivery = Delivery(create_mailer(settings), settings.mail)
    _wire_transaction_hooks()
    sla_subscriptions.register()  # SLA clocks follow the workspace's signals (issue 7)
    workspace_wiring.register(breach_source=seconds_to_breach,  # issue 6: queue, presence
                              reader_breach_source=seconds_to_breach_on,
                              live_ttl_seconds=settings.live_presence_ttl_seconds)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        engine = create_engine(app_url, settings.database)
        runtime = AuthzRuntime(engine, to_libpq_dsn(app_url) if start_policy_listener else None,
                               settings.authz_poll_seconds)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.authz = runtime
        app.state.reader_pool = await create_reader_pool(to_libpq_dsn(app_url), settings.database)
        app.state.denial_folds = FoldFlusher(app.state.sessionmaker, settings.audit_fold_seconds)
        keys = KeyCache(engine, runtime)
        runtime.shop_listeners.append(keys.forget_shop)
        app.state.integration_keys = keys
        try:
            await runtime.start()
            app.state.denial_folds.start()
            yield
        finally:
            await app.state.denial_folds.stop()
            await runtime.stop()
            await app.state.reader_pool.close()
            await engine.dispose()

    shop_router = Router(
        path="/shops/{shop_id:uuid}",
        route_handlers=[*shop_route_handlers(), *extra_shop_route_handlers],
        dependencies={
            "shop_scope": Provide(provide_shop_scope, sync_to_thread=False),
            "shop_session": Provide(provide_shop_session),
            "shop_reader": Provide(provide_shop_reader),
            "shop_writer": Provide(provide_shop_writer),
        },
    )
    api_v1 = Router(path="/api/v1", route_handlers=[*firm_route_handlers(), shop_router])

    return Litestar(
        route_handlers=[api_v1, *_infrastructure_handlers()],
        lifespan=[lifespan, maintenance_lifespan, breach_worker_lifespan, webhooks_lifespan,
                  event_stream_lifespan],
        state=State({"settings": settings, "tokens": tokens, "audit_signer": audit_signer,
                     "invitation_delivery": invitation_delivery}),
        dependencies={
            "db_session": Provide(provide_db_session),
            "audit_context": Provide(provide_audit_context, sync_to_thread=False),
        },
        guards=[_admission],
        before_send=[rate_limit_headers],
        middleware=[
            RequestContextMiddleware,
            *_client_address_middleware(settings),
            RefusalAuditMiddleware,
            DefineMiddleware(RequestLimitsMiddleware, max_body_bytes=settings.server.max_body_bytes,
                             max_json_depth=settings.server.max_json_depth),
            DefineMiddleware(BearerAuthMiddleware, exclude_from_auth_key=PUBLIC_KEY,
                             exclude_http_methods=["OPTIONS"]),
        ],
        on_startup=[document_responses],
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        request_max_body_size=settings.server.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="ShopDesk API",
            version="1.0.0",
            description=(
                "Multi-shop customer service for an outsourcing firm. Every operation "
                "states the permission it needs as `x-permission`."
            ),
            use_handler_docstrings=True,
            components=Components(security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            }),
            security=[{"BearerToken": []}],
            render_plugins=[ScalarRenderPlugin()],
            openapi_router=Router(path="/schema", route_handlers=[], opt={PUBLIC_KEY: True},
                                  include_in_schema=False),
        ),
        debug=False,
        logging_config=None,  # logging is ours (api.observability): one renderer, redacted
    )


def _client_address_middleware(settings: Settings) -> list[DefineMiddleware]:
    """Trust ``X-Forwarded-For`` from the configured proxies only (none by default): anyone
    else could rotate it past the per-IP login limit and into the audit log."""
    trusted = settings.server.forwarded_allow_ips.strip()
    if not trusted:
        return []
    return [DefineMiddleware(ProxyHeadersMiddleware, trusted_hosts=trusted)]


def _wire_transaction_hooks() -> None:
    """What every unit of work does once it has committed or rolled back (``api.db.hooks``)."""
    on_commit(catch_up_after_commit)
    on_rollback(audit_rolled_back_refusal)
    on_commit(note_key_use)  # integration_keys.last_used_at, at most once a minute per key
    members_founder.wire()  # onboarding's founder membership (signal from shops)


async def _admission(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The one guard: the permission first, then the rate limit (it counts admitted keys only).

    One guard rather than two: Litestar copies the route handler for every guard it calls.
    """
    await permission_guard(connection, handler)
    await rate_limit_guard(connection, handler)


def _infrastructure_handlers() -> list[object]:
    from api.domain.health.controllers import HealthController
    from api.metrics import metrics

    return [HealthController, metrics]
