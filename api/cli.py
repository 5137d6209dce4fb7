"""``shopdesk``: serve, migrate, create-user, shops create."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from dataclasses import dataclass

from sqlalchemy.engine import URL

from api.settings import Settings, get_settings

__all__ = ["main"]


@dataclass(frozen=True, slots=True)
class Database:
    owner_url: str
    app_url: URL
    embedded: bool


def prepare_database(settings: Settings, *, run_migrations: bool = True) -> Database:
    """Find (or start) PostgreSQL, make sure the database exists, bring it to head."""
    from api.app import resolve_app_url
    from api.db.embedded import ensure_database, start_embedded_postgres
    from api.db.migrate import migrate
    from api.db.urls import app_url_from_owner

    embedded = settings.database.url is None and settings.database.app_url is None
    if embedded:
        owner_url = start_embedded_postgres(settings.data_dir)
        asyncio.run(ensure_database(owner_url))
        app_url = app_url_from_owner(owner_url, settings.database.app_role,
                                     settings.database.app_password)
    else:
        owner_url = settings.database.url or ""
        app_url = resolve_app_url(settings)
    if run_migrations and owner_url:
        asyncio.run(migrate(owner_url, settings.database.app_role, settings.database.app_password))
    return Database(owner_url, app_url, embedded)


def _describe(db: Database) -> str:
    where = db.app_url.render_as_string(hide_password=True)
    return f"embedded PostgreSQL ({where})" if db.embedded else where


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app

    db = prepare_database(settings, run_migrations=not args.no_migrate)
    app = create_app(settings, database_url=db.app_url)
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    print(f"ShopDesk listening on http://{host}:{port}  (docs: /schema)", flush=True)
    print(f"database: {_describe(db)}", flush=True)
    # uvicorn drains in-flight requests on SIGTERM, then re-raises the signal. Turning it
    # into a normal exit lets atexit stop the embedded PostgreSQL instead of orphaning it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False,
                timeout_graceful_shutdown=settings.server.graceful_timeout_seconds)
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    db = prepare_database(settings)
    print(f"migrated: {_describe(db)}")
    return 0


async def _with_session(url: URL, settings: Settings, work):  # type: ignore[no-untyped-def]
    from api.db.engine import create_engine, create_sessionmaker

    engine = create_engine(url, settings.database)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _cli_context():  # type: ignore[no-untyped-def]
    from api.domain.audit.context import AuditContext

    return AuditContext(actor_id=None, client="cli", ip=None, request_id=None)


def cmd_create_user(args: argparse.Namespace, settings: Settings) -> int:
    from api.db.urls import to_asyncpg_url
    from api.domain.users.services import create_user
    from api.errors import ApiError
    from rbac.catalog import FirmRole

    password = args.password
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif password is None and sys.stdin.isatty():
        password = getpass.getpass("Password: ")
    if password is not None and len(password) < 10:
        print("error: the password must be at least 10 characters", file=sys.stderr)
        return 2
    db = prepare_database(settings)
    role = FirmRole(args.platform_role) if args.platform_role else None
    # The API role may not write users.platform_role: firm roles are granted by the owner.
    if role is not None and not db.owner_url:
        print("error: --platform-role needs the owner's DATABASE_URL", file=sys.stderr)
        return 2
    url = to_asyncpg_url(db.owner_url) if db.owner_url else db.app_url

    async def work(session):  # type: ignore[no-untyped-def]
        return await create_user(session, email=args.email, password=password,
                                 display_name=args.display_name or "", phone=args.phone,
                                 platform_role=role)

    try:
        user = asyncio.run(_with_session(url, settings, work))
    except ApiError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    print(f"created user {user.id} <{user.email}>" + (f" ({role.value})" if role else ""))
    return 0


def cmd_shops_create(args: argparse.Namespace, settings: Settings) -> int:
    from api.domain.shops.schemas import FounderSpec, ShopCreate
    from api.domain.shops.services import create_shop
    from api.errors import ApiError

    db = prepare_database(settings)
    data = ShopCreate(name=args.name, slug=args.slug, timezone=args.timezone,
                      founder=FounderSpec(email=args.founder_email),
                      wechat_bound=args.wechat_bound,
                      contact_seller_enabled=not args.no_contact_seller)

    async def work(session):  # type: ignore[no-untyped-def]
        return await create_shop(session, data, _cli_context())

    try:
        shop, founder_id, invited = asyncio.run(_with_session(db.app_url, settings, work))
    except ApiError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    print(f"created shop {shop.id} ({shop.slug}); founder {founder_id}"
          + (" (invited)" if invited else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopdesk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API (embedded PostgreSQL without DATABASE_URL)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--no-migrate", action="store_true", help="do not migrate at start-up")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="bring the database to the current schema").set_defaults(
        func=cmd_migrate)

    user = sub.add_parser("create-user", help="create a user (optionally with a firm role)")
    user.add_argument("--email", required=True)
    user.add_argument("--password", help="prefer --password-stdin or the prompt")
    user.add_argument("--password-stdin", action="store_true")
    user.add_argument("--display-name")
    user.add_argument("--phone")
    user.add_argument("--platform-role", choices=["platform_admin", "platform_auditor"])
    user.set_defaults(func=cmd_create_user)

    shops = sub.add_parser("shops", help="manage shops").add_subparsers(dest="shops_command",
                                                                        required=True)
    create = shops.add_parser("create", help="onboard a shop")
    create.add_argument("--name", required=True)
    create.add_argument("--slug", required=True)
    create.add_argument("--timezone", default="Asia/Shanghai")
    create.add_argument("--founder-email", required=True)
    create.add_argument("--wechat-bound", action="store_true")
    create.add_argument("--no-contact-seller", action="store_true")
    create.set_defaults(func=cmd_shops_create)
    return parser


def main(argv: list[str] | None = None) -> int:
    from api.auth.passwords import configure_hashing

    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_hashing(settings.auth.password_hashing)
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
