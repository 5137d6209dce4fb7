"""The served document tells the truth about errors, for every operation, new ones included."""

from __future__ import annotations

import httpx

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
