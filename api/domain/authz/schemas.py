"""Payloads of the auditors' view of authorization: matrix, route map, explain, export."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

__all__ = [
    "CasbinRequest",
    "ExplainRequest",
    "Explanation",
    "MatrixRow",
    "MemberRole",
    "PolicyExport",
    "RequestField",
    "RoleMatrix",
    "RouteEntry",
    "RouteMap",
]


class MatrixRow(msgspec.Struct):
    """One permission: each shop role's cell (Y, -, B, M) and the firm roles holding it."""

    permission: str
    cells: dict[str, str]
    firm_roles: list[str]


class MemberRole(msgspec.Struct):
    user_id: uuid.UUID
    email: str
    role: str


class RoleMatrix(msgspec.Struct):
    shop_id: uuid.UUID
    shop_roles: list[str]
    firm_roles: list[str]
    permissions: list[MatrixRow]
    members: list[MemberRole]
    wechat: str
    status: str


class RouteEntry(msgspec.Struct):
    method: str
    path: str
    # The key the guard checks, "public", or None for a route the guard refuses outright.
    permission: str | None


class RouteMap(msgspec.Struct):
    routes: list[RouteEntry]


PERMISSION_KEY = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class ExplainRequest(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID
    permission: PERMISSION_KEY
    client: Literal["web", "mobile"] = "web"


class CasbinRequest(msgspec.Struct):
    """The exact request tuple given to Casbin (``r = perm, sub, dom, client, wechat, status``)."""

    perm: str
    sub: str
    dom: str
    client: str
    wechat: str
    status: str


class Explanation(msgspec.Struct):
    allowed: bool
    reason: str
    permission: str
    user_id: uuid.UUID
    client: str
    # What granted it: the role, its "p, perm, role, cond" line, and whether a shop or a
    # firm role matched. All None when denied.
    granted_by_role: str | None
    rule: str | None
    via: Literal["shop", "firm"] | None
    member_role: str | None
    firm_role: str | None
    request: CasbinRequest


class RequestField(msgspec.Struct):
    """One field of the Casbin request: where its value comes from and, if fixed, its value."""

    name: str
    source: str
    values: list[str] | None
    current: str | None


class PolicyExport(msgspec.Struct):
    shop_id: uuid.UUID
    policy_version: int
    model: str
    policy_csv: str
    request_fields: list[RequestField]
