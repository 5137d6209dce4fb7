"""Hostile and sloppy input, signed in or not: always a 4xx in the one error shape.

Sent as an attacker would: NUL characters everywhere text goes, bodies that are not UTF-8,
deep nesting, huge integers, the wrong content type, oversized bodies.
"""

from __future__ import annotations

import httpx
import pytest

from tests.integration.hardening.probes import JSON, LOGIN, assert_refused
from tests.support.world import World

DEEP = b"[" * 5000 + b"]" * 5000  # ~10 KB: enough to exhaust a recursive decoder's stack


async def _shop(world: World):  # type: ignore[no-untyped-def]
    shop_id, founder = await world.shop()
    return f"/api/v1/shops/{shop_id}", founder.headers()


@pytest.mark.parametrize("email", ["a\x00@example.com", "\x00", "nul@exa\x00mple.com"])
async def test_nul_in_the_login_email_is_400(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post(LOGIN, json={"email": email, "password": "whatever-it-is"})
    assert_refused(response, 400, "request.nul_character")


async def test_nul_in_the_password_and_in_keys_is_400(client: httpx.AsyncClient) -> None:
    assert_refused(await client.post(LOGIN, json={"email": "a@b.co", "password": "x\x00y"}),
                   400, "request.nul_character")
    assert_refused(await client.post(LOGIN, content=b'{"em\\u0000ail": 1}', headers=JSON),
                   400, "request.nul_character")


async def test_a_raw_nul_byte_in_the_body_is_400(client: httpx.AsyncClient) -> None:
    assert_refused(await client.post(LOGIN, content=b'{"email": "a\x00b"}', headers=JSON),
                   400, "request.nul_character")


async def test_an_escaped_backslash_before_u0000_is_text_not_nul(client: httpx.AsyncClient) -> None:
    # "\\u0000" is a backslash followed by the letters u0000: harmless text.
    response = await client.post(LOGIN, content=b'{"email": "a\\\\u0000@b.co", "password": "x"}',
                                 headers=JSON)
    assert response.status_code in (401, 422), response.text


async def test_nul_in_signed_in_bodies_is_400(world: World, client: httpx.AsyncClient) -> None:
    shop, headers = await _shop(world)
    response = await client.patch(f"{shop}/", json={"name": "Bad\x00Name"}, headers=headers)
    assert_refused(response, 400, "request.nul_character")
    for route in ("invitations/", "members/"):
        response = await client.post(f"{shop}/{route}", json={"email": "x\x00@y.co",
                                                              "role": "agent"}, headers=headers)
        assert_refused(response, 400, "request.nul_character")


@pytest.mark.parametrize("query", [
    "action=%00", "action=a%00b", "actor_id=%00", "cursor=%00", "limit=1%00",
    "action=%ff%fe", "cursor=%c3%28", "act%00ion=x",
])
async def test_nul_or_bad_utf8_in_query_parameters_is_400(world: World, client: httpx.AsyncClient,
                                                          query: str) -> None:
    shop, headers = await _shop(world)
    response = await client.get(f"{shop}/audit/?{query}", headers=headers)
    body = assert_refused(response, 400)
    assert body["code"] in {"request.nul_character", "request.invalid_encoding"}
    assert body["details"]["where"] == "query"


async def test_nul_in_query_without_a_token_is_400_too(client: httpx.AsyncClient) -> None:
    assert_refused(await client.get("/health/live?x=%00"), 400, "request.nul_character")


async def test_nul_in_the_path_is_4xx(world: World, client: httpx.AsyncClient) -> None:
    shop, headers = await _shop(world)
    for path in (f"{shop}/members/%00", "/api/v1/shops/%00/members/", "/api/v1/%00"):
        response = await client.get(path, headers=headers)
        assert 400 <= response.status_code < 500, (path, response.text)
        assert_refused(response, response.status_code)


@pytest.mark.parametrize("raw", [b"\xff\xfe{}", b'{"email": "\xc3\x28@b.co", "password": "x"}',
                                 b'{"email": "\xed\xa0\x80"}'])
async def test_a_body_that_is_not_utf8_is_400(client: httpx.AsyncClient, raw: bytes) -> None:
    assert_refused(await client.post(LOGIN, content=raw, headers=JSON), 400,
                   "request.malformed_body")


async def test_a_lone_surrogate_escape_is_4xx(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, content=b'{"email": "\\ud800@b.co", "password": "x"}',
                                 headers=JSON)
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize("raw", [DEEP, b'{"a":' * 3000 + b"1" + b"}" * 3000,
                                 b'{"email": ' + b"[" * 40 + b"]" * 40 + b"}"])
async def test_deep_nesting_is_400_before_parsing(client: httpx.AsyncClient, raw: bytes) -> None:
    body = assert_refused(await client.post(LOGIN, content=raw, headers=JSON), 400,
                          "request.too_deeply_nested")
    assert body["details"]["max_depth"] == 32


async def test_deep_nesting_signed_in_is_400(world: World, client: httpx.AsyncClient) -> None:
    shop, headers = await _shop(world)
    response = await client.patch(f"{shop}/", content=DEEP, headers={**headers, **JSON})
    assert_refused(response, 400, "request.too_deeply_nested")


async def test_brackets_inside_strings_do_not_count_as_nesting(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, json={"email": "[" * 100 + "@b.co", "password": "{" * 100})
    assert response.status_code in (401, 422), response.text  # validated as usual, not nesting


@pytest.mark.parametrize("number", [b"9223372036854775808", b"-9223372036854775809",
                                    b"1" * 400])
async def test_integers_past_64_bits_are_400(world: World, client: httpx.AsyncClient,
                                             number: bytes) -> None:
    shop, headers = await _shop(world)
    raw = b'{"email": "a@b.co", "role": "agent", "user_id": ' + number + b"}"
    response = await client.post(f"{shop}/members/", content=raw, headers={**headers, **JSON})
    assert_refused(response, 400, "request.number_out_of_range")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml"])
async def test_json_routes_refuse_other_content_types(client: httpx.AsyncClient,
                                                      content_type: str) -> None:
    response = await client.post(LOGIN, content=b'{"email": "a@b.co", "password": "x"}',
                                 headers={"content-type": content_type})
    assert_refused(response, 415, "request.unsupported_media_type")


async def test_a_json_route_refuses_a_body_without_content_type(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, content=b'{"email": "a@b.co", "password": "x"}')
    assert_refused(response, 415, "request.unsupported_media_type")


async def test_json_with_a_charset_and_vendor_json_are_accepted(client: httpx.AsyncClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/problem+json"):
        response = await client.post(LOGIN, content=b'{"email": "a@b.co", "password": "x"}',
                                     headers={"content-type": content_type})
        assert response.status_code == 401, response.text


async def test_a_declared_length_over_the_limit_is_413_unread(client: httpx.AsyncClient,
                                                              settings) -> None:  # type: ignore[no-untyped-def]
    size = settings.server.max_body_bytes + 1

    async def stream():  # type: ignore[no-untyped-def]
        yield b"x" * 1024

    response = await client.post(LOGIN, content=stream(),
                                 headers={**JSON, "content-length": str(size)})
    assert_refused(response, 413, "request.too_large")


async def test_a_chunked_body_over_the_limit_is_413(client: httpx.AsyncClient, settings) -> None:  # type: ignore[no-untyped-def]
    chunk = b" " * 65536

    async def stream():  # type: ignore[no-untyped-def]
        for _ in range(settings.server.max_body_bytes // len(chunk) + 2):
            yield chunk

    assert_refused(await client.post(LOGIN, content=stream(), headers=JSON), 413,
                   "request.too_large")


async def test_an_ordinary_login_still_works(world: World) -> None:
    account = await world.user(login=False)
    body = await world.login(account)
    assert body["access_token"]
