"""The served document tells the truth about errors, for every operation, new ones included."""

from __future__ import annotations

import re

import httpx

from api.openapi import decoded_structs
from api.routing import PUBLIC

ERROR_REF = "#/components/schemas/Error"


async def _document(client: httpx.AsyncClient) -> dict:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(doc: dict):  # type: ignore[no-untyped-def]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


async def test_every_error_response_is_the_one_error_shape(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    error = doc["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "details", "request_id"}
    for path, method, operation in _operations(doc):
        responses = operation["responses"]
        errors = {code: r for code, r in responses.items() if int(code) >= 400}
        assert {"400", "404", "429", "503"} <= set(errors), (method, path)
        for code, response in errors.items():
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR_REF}, (method, path, code)
        if operation["x-permission"] == PUBLIC:
            assert operation["security"] == [], (method, path)
        else:
            assert {"401", "403"} <= set(errors), (method, path)
        if "requestBody" in operation:
            assert {"413", "415", "422"} <= set(errors), (method, path)


async def test_health_needs_no_token_and_login_documents_its_refusals(
        client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    for path in ("/health/live", "/health/ready"):
        assert doc["paths"][path]["get"]["security"] == []
    login = doc["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "429"} <= set(login) and "403" not in login
    stream = doc["paths"]["/api/v1/shops/{shop_id}/events/stream"]["get"]["responses"]["200"]
    assert list(stream["content"]) == ["text/event-stream"]


async def test_options_lists_every_method_of_the_path(world, client: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    admin = await world.user()
    response = await client.options("/api/v1/shops", headers=admin.headers())
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST", "OPTIONS"}


async def test_every_component_has_a_unique_stable_name(client: httpx.AsyncClient) -> None:
    """Client generators name models after titles: two alike would clash (or one be lost)."""
    schemas = (await _document(client))["components"]["schemas"]
    titles: dict[str, list[str]] = {}
    for key, schema in schemas.items():
        titles.setdefault(schema.get("title", key), []).append(key)
    assert {t: keys for t, keys in titles.items() if len(keys) > 1} == {}
    # Keyed by their title, never by a module path that moves with the code.
    assert [key for key in schemas if not key.isalnum()] == []
    assert [k for k, s in schemas.items() if "title" in s and k != re.sub(r"\W", "", s["title"])] == []


async def test_closed_request_bodies_say_so(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    """A Struct that refuses unknown fields is documented with ``additionalProperties: false``
    (found from the routes: a new body Struct is covered without being listed here)."""
    schemas = (await _document(client))["components"]["schemas"]
    structs = decoded_structs(app)
    assert len(structs) > 50
    for cls in structs:
        closed = cls.__struct_config__.forbid_unknown_fields
        assert (schemas[cls.__name__].get("additionalProperties") is False) == closed, cls


async def test_request_enums_offer_no_value_always_refused(client: httpx.AsyncClient) -> None:
    schemas = (await _document(client))["components"]["schemas"]
    for name in ("MemberAdd", "MemberRoleChange", "InvitationCreate"):
        role = schemas[name]["properties"]["role"]
        assert "founder" not in role["enum"] and "$ref" not in role, (name, role)
    # Bounds the decoder checks are published, also beside UNSET and inside lists.
    assert schemas["ProductPatch"]["properties"]["stock"]["minimum"] == 0
    assert schemas["EndpointCreate"]["properties"]["event_types"]["items"]["minLength"] == 1
