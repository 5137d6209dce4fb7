"""Customers and their channel identities: the same identity always maps to one customer.

Race-safe without locks of our own: the identity's primary key (shop, channel, external id)
decides. A new customer is created in the same statement as its first identity, and only
if that identity's INSERT wins (``ON CONFLICT DO NOTHING``): two concurrent first contacts
leave one customer, never an orphan. Services never commit.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.raw import Sql
from api.domain.audit import services as audit
from api.domain.audit.context import AuditContext
from api.domain.customers.enums import Channel, parse_channel
from api.domain.customers.schemas import CustomerRead, CustomerUpsert
from api.errors import ApiError

__all__ = ["CustomerIdentity", "external_id_of", "upsert_customer", "upsert_identity"]


class CustomerIdentity(NamedTuple):
    customer_id: uuid.UUID
    display_name: str
    created_at: datetime
    created: bool


_FIND = Sql(
    "SELECT c.id, c.display_name, c.created_at FROM customer_identities i "
    "JOIN customers c ON c.shop_id = i.shop_id AND c.id = i.customer_id "
    "WHERE i.shop_id = :shop_id AND i.channel = :channel AND i.external_id = :external_id")
# The identity first: the customer row exists only if this identity won. The foreign key
# from the identity is checked at the end of the statement, when both rows are there.
_CREATE = Sql(
    "WITH ident AS ("
    " INSERT INTO customer_identities (shop_id, channel, external_id, customer_id)"
    " VALUES (:shop_id, :channel, :external_id, :new_id)"
    " ON CONFLICT (shop_id, channel, external_id) DO NOTHING RETURNING customer_id),"
    " cust AS ("
    " INSERT INTO customers (shop_id, id, display_name)"
    " SELECT :shop_id, customer_id, :display_name FROM ident RETURNING id, display_name, created_at)"
    " SELECT id, display_name, created_at FROM cust")
_CUSTOMER = Sql("SELECT id, display_name, created_at FROM customers "
                 "WHERE shop_id = :shop_id AND id = :id")
_LINK = Sql(
    "INSERT INTO customer_identities (shop_id, channel, external_id, customer_id) "
    "VALUES (:shop_id, :channel, :external_id, :customer_id) "
    "ON CONFLICT (shop_id, channel, external_id) DO NOTHING RETURNING customer_id")
_RENAME = Sql("UPDATE customers SET display_name = :display_name, updated_at = now() "
               "WHERE shop_id = :shop_id AND id = :id")
_EXTERNAL_ID = Sql(
    "SELECT external_id FROM customer_identities WHERE shop_id = :shop_id "
    "AND customer_id = :customer_id AND channel = :channel ORDER BY created_at LIMIT 1")


async def upsert_identity(session: AsyncSession, shop_id: uuid.UUID, channel: Channel,
                          external_id: str, *, display_name: str | None = None,
                          customer_id: uuid.UUID | None = None) -> CustomerIdentity:
    """The customer behind ``(channel, external_id)``, created on first contact.

    ``customer_id`` links a new identity to a known customer (409 if the identity already
    belongs to another one); ``display_name`` renames the customer when it differs.
    """
    key = {"shop_id": shop_id, "channel": channel.value, "external_id": external_id}
    if customer_id is not None:
        found = await _link(session, key, customer_id)
    else:
        row = await _FIND.first(session, key)
        created = False
        if row is None:
            row = await _CREATE.first(session, key, new_id=uuid.uuid4(),
                                      display_name=display_name or "")
            created = row is not None
            if row is None:  # another request created it a moment ago: theirs wins
                row = await _FIND.one(session, key)
        found = CustomerIdentity(row.id, row.display_name, row.created_at, created)
    if display_name is not None and display_name != found.display_name:
        await _RENAME.run(session, shop_id=shop_id, id=found.customer_id,
                          display_name=display_name)
        found = found._replace(display_name=display_name)
    return found


async def upsert_customer(session: AsyncSession, shop_id: uuid.UUID, data: CustomerUpsert,
                          ctx: AuditContext) -> CustomerRead:
    """The integration route: upsert, audited (every write a key makes is attributable)."""
    channel = parse_channel(data.channel)
    found = await upsert_identity(session, shop_id, channel, data.external_id,
                                  display_name=data.display_name, customer_id=data.customer_id)
    await audit.record(session, ctx, shop_id=shop_id,
                       action="customer.created" if found.created else "customer.upserted",
                       target=str(found.customer_id),
                       details={"channel": channel.value, "linked": data.customer_id is not None})
    return CustomerRead(id=found.customer_id, display_name=found.display_name,
                        channel=channel.value, external_id=data.external_id,
                        created=found.created, created_at=found.created_at)


async def _link(session: AsyncSession, key: dict[str, object], customer_id: uuid.UUID
                ) -> CustomerIdentity:
    customer = await _CUSTOMER.first(session, shop_id=key["shop_id"], id=customer_id)
    if customer is None:
        raise ApiError.not_found("customer")
    linked = await _LINK.first(session, key, customer_id=customer_id)
    if linked is None:
        owner = await _FIND.one(session, key)
        if owner.id != customer_id:
            raise ApiError.conflict("customer.identity_taken",
                                    "This channel identity belongs to another customer.")
    return CustomerIdentity(customer.id, customer.display_name, customer.created_at, False)


async def external_id_of(session: AsyncSession, shop_id: uuid.UUID, customer_id: uuid.UUID,
                         channel: str) -> str | None:
    """The customer's id on ``channel`` (what the shop's systems deliver a reply to)."""
    return await _EXTERNAL_ID.scalar(session, shop_id=shop_id, customer_id=customer_id,
                                     channel=channel)
