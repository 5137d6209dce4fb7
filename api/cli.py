"""``shopdesk``: serve, migrate, create-user, shops create."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

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
    # uvicorn would trust X-Forwarded-For from 127.0.0.1 by default, letting anyone on the
    # host pick their own address. The app applies SHOPDESK_FORWARDED_ALLOW_IPS itself (empty:
    # nobody is trusted), the same under any server, so uvicorn rewrites nothing.
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False,
                proxy_headers=False, forwarded_allow_ips=settings.server.forwarded_allow_ips,
                timeout_graceful_shutdown=settings.server.graceful_timeout_seconds)
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    db = prepare_database(settings)
    print(f"migrated: {_describe(db)}")
    return 0


async def _with_session(url: URL, settings: Settings, work):  # type: ignore[no-untyped-def]
    """Run ``work`` in one transaction, commit, then its ``after_commit`` callbacks (mail)."""
    from api.db.engine import create_engine, create_sessionmaker
    from api.db.hooks import run_after_commit

    engine = create_engine(url, settings.database)
    try:
        async with create_sessionmaker(engine)() as session:
            async with session.begin():
                result = await work(session)
            info = dict(session.info)
        await run_after_commit(info)
        return result
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


class _Sent:
    """Wraps the mailer to tell the operator whether the invitation left, and (outbox) which
    file holds it."""

    def __init__(self, mailer, outbox: Path | None) -> None:  # type: ignore[no-untyped-def]
        self.mailer, self.outbox, self.sent = mailer, outbox, 0
        self.files: list[Path] = []

    def _listing(self) -> set[Path]:
        return set(self.outbox.glob("*.eml")) if self.outbox and self.outbox.is_dir() else set()

    async def send(self, to: str, subject: str, body: str) -> None:
        before = self._listing()
        await self.mailer.send(to, subject, body)
        self.sent += 1
        self.files = sorted(self._listing() - before)


def cmd_shops_create(args: argparse.Namespace, settings: Settings) -> int:
    from api.domain.invitations.services import Delivery
    from api.domain.members import founder
    from api.domain.shops.schemas import FounderSpec, ShopCreate
    from api.domain.shops.services import create_shop
    from api.errors import ApiError
    from api.mail import OutboxMailer, create_mailer

    founder.wire()  # a founder named by id is written by the members slice
    db = prepare_database(settings)
    data = ShopCreate(name=args.name, slug=args.slug, timezone=args.timezone,
                      founder=FounderSpec(email=args.founder_email),
                      wechat_bound=args.wechat_bound,
                      contact_seller_enabled=not args.no_contact_seller)
    mailer = create_mailer(settings)
    sent = _Sent(mailer, mailer.directory if isinstance(mailer, OutboxMailer) else None)
    delivery = Delivery(sent, settings.mail)

    async def work(session):  # type: ignore[no-untyped-def]
        return await create_shop(session, data, _cli_context(), delivery=delivery)

    try:
        onboarded = asyncio.run(_with_session(db.app_url, settings, work))
    except ApiError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    shop, invitation = onboarded.shop, onboarded.invitation
    assert invitation is not None  # the CLI names the founder by e-mail
    print(f"created shop {shop.id} ({shop.slug})")
    print(f"founder invited: invitation {invitation.id} to <{invitation.email}>, "
          f"expires {invitation.expires_at.isoformat()}")
    # Where the mail went, never what it says: the token is the founder's secret.
    if not sent.sent:
        print("warning: the invitation mail could not be sent (see the log); resend it with "
              f"POST /api/v1/shops/{shop.id}/invitations/{invitation.id}/resend", file=sys.stderr)
        return 1
    if isinstance(mailer, OutboxMailer):
        where = ", ".join(str(path) for path in sent.files) or f"{mailer.directory}/"
        print(f"mail written to the outbox: {where}")
    else:
        print(f"mail sent through SMTP {settings.mail.smtp_host}:{settings.mail.smtp_port}")
    return 0


def cmd_audit_keygen(args: argparse.Namespace, settings: Settings) -> int:
    from api.domain.audit.checkpoints import generate_signing_key, load_signer, public_key_text

    key = generate_signing_key()
    signer = load_signer(key)
    assert signer is not None
    print(f"SHOPDESK_AUDIT_CHECKPOINT_KEY={key}")
    print(f"# public key (give it to auditors): {public_key_text(signer)}", file=sys.stderr)
    return 0


def cmd_audit_checkpoint(args: argparse.Namespace, settings: Settings) -> int:
    """Sign every chain's head now and print the newest checkpoint of each chain as JSON."""
    import msgspec

    from api.db.engine import create_engine
    from api.db.shop_context import bind_shop
    from api.domain.audit.checkpoints import list_checkpoints, load_signer, take_checkpoints

    signer = load_signer(settings.audit_checkpoint_key)
    if signer is None:
        print("SHOPDESK_AUDIT_CHECKPOINT_KEY is not set (see `shopdesk audit keygen`)",
              file=sys.stderr)
        return 2
    db = prepare_database(settings, run_migrations=False)

    async def run() -> list[object]:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import AsyncSession

        engine = create_engine(db.app_url, settings.database)
        try:
            await take_checkpoints(engine, signer)
            latest: list[object] = []
            async with engine.connect() as conn:
                shops = (await conn.execute(text(
                    "SELECT shop_id FROM audit_chain_heads()"))).scalars().all()
            for shop_id in shops:
                async with AsyncSession(engine) as session, session.begin():
                    await bind_shop(session, shop_id)
                    latest += await list_checkpoints(session, shop_id, limit=1, before=None)
            return latest
        finally:
            await engine.dispose()

    sys.stdout.write(msgspec.json.encode(asyncio.run(run())).decode() + "\n")
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

    audit = sub.add_parser("audit", help="signed audit checkpoints").add_subparsers(
        dest="audit_command", required=True)
    audit.add_parser("keygen", help="print a new checkpoint signing key").set_defaults(
        func=cmd_audit_keygen)
    audit.add_parser("checkpoint", help="sign every chain's head now; print the newest "
                     "checkpoint of each chain as JSON").set_defaults(func=cmd_audit_checkpoint)
    return parser


def main(argv: list[str] | None = None) -> int:
    from api.auth.passwords import configure_hashing

    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_hashing(settings.auth.password_hashing)
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
