"""Hostile input stops here, before any parser, validator or database sees it.

One ASGI middleware inspects every request once:
- the path and every query parameter: no NUL character (PostgreSQL text cannot hold one),
  valid UTF-8;
- the body: bounded in size while it is read (a ``Content-Length`` too large is refused
  before reading anything);
- for a route whose body is JSON: the right content type, valid UTF-8, no NUL character
  (raw or escaped ``\\u0000``), nesting no deeper than the configured depth (decoders
  recurse, and a 2 KB body of brackets would exhaust the stack), and no integer outside
  64 bits (PostgreSQL's ``bigint``; msgspec accepts any size).
Each refusal is a 4xx ``ApiError`` with a stable code, in the one error shape.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from litestar.enums import RequestEncodingType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError

__all__ = ["RequestLimitsMiddleware", "check_json_body", "check_text"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_INT64 = 2**63 - 1
# Strings first, so brackets and digits inside them are skipped; then structure and numbers.
_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[{]|[\]}]|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?')
# ``\u0000`` preceded by an even number of backslashes (an odd run would escape the first).
_ESCAPED_NUL = re.compile(rb'(?:^|[^\\])(?:\\\\)*\\u0000', re.IGNORECASE)


def _refuse(code: str, message: str, **details: Any) -> ApiError:
    return ApiError(400, code, message, details)


def check_text(raw: bytes, where: str) -> None:
    """Refuse a NUL character or invalid UTF-8 in already percent-decoded bytes."""
    if b"\x00" in raw:
        raise _refuse("request.nul_character", "Text may not contain NUL characters.",
                      where=where)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse("request.invalid_encoding", "Text must be valid UTF-8.",
                      where=where) from exc


def _check_query(query_string: bytes) -> None:
    if not query_string:
        return
    for pair in query_string.split(b"&"):
        check_text(unquote_to_bytes(pair.replace(b"+", b" ")), "query")


def check_json_body(body: bytes, max_depth: int) -> None:
    """Refuse a JSON body that would crash a decoder or the database (see module doc)."""
    if b"\x00" in body:
        raise _refuse("request.nul_character", "Text may not contain NUL characters.",
                      where="body")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        # JSON is UTF-8 (RFC 8259): anything else is a body that is not JSON.
        raise _refuse("request.malformed_body", "The body is not valid JSON.",
                      reason="the body is not valid UTF-8") from exc
    if b"\\u0000" in body.lower() and _ESCAPED_NUL.search(body):
        raise _refuse("request.nul_character", "Text may not contain NUL characters.",
                      where="body")
    depth = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        first = token[:1]
        if first == b'"':
            continue
        if first in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise _refuse("request.too_deeply_nested",
                              f"JSON may nest at most {max_depth} levels.", max_depth=max_depth)
        elif first in (b"]", b"}"):
            depth -= 1
        elif b"." not in token and b"e" not in token and b"E" not in token:
            if len(token) > 20 or abs(int(token)) > _INT64:
                raise _refuse("request.number_out_of_range",
                              "Integers must fit in 64 bits.", max=_INT64)


def _wants_json(handler: Any) -> bool | None:
    """``True`` if the route takes a JSON body, ``False`` for another encoding, ``None`` if it
    takes no body at all."""
    signature = getattr(handler, "parsed_fn_signature", None)
    data = signature.parameters.get("data") if signature is not None else None
    if data is None:
        return None
    media_type = getattr(data.kwarg_definition, "media_type", RequestEncodingType.JSON)
    return media_type in (RequestEncodingType.JSON, "application/json")


def _is_json(content_type: bytes) -> bool:
    mime = content_type.split(b";", 1)[0].strip().lower()
    return mime == b"application/json" or (mime.startswith(b"application/")
                                             and mime.endswith(b"+json"))


class RequestLimitsMiddleware:
    """See the module docstring. Runs after routing: it knows which body the route takes."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"]:
            raise _refuse("request.nul_character", "Text may not contain NUL characters.",
                          where="path")
        _check_query(scope.get("query_string", b""))
        if scope["method"] == "OPTIONS":
            await self.app(scope, receive, _with_true_allow(scope, send))
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise self._too_large()
        body = await self._read(receive)
        wants_json = _wants_json(scope.get("route_handler"))
        if body and wants_json:
            if not _is_json(headers.get(b"content-type", b"")):
                raise ApiError(415, "request.unsupported_media_type",
                               "Send the body as application/json.",
                               {"expected": "application/json"})
            check_json_body(body, self.max_json_depth)
        await self.app(scope, _replay(body, receive), send)

    def _too_large(self) -> ApiError:
        return ApiError(413, "request.too_large", "The request body is too large.",
                        {"max_bytes": self.max_body_bytes})

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, upstream: Receive) -> Receive:
    """The body, already read, handed to the app as one message; then the real channel
    (which reports the disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await upstream()

    return receive


def _route_methods(app: Any) -> dict[str, str]:
    """Path template → the ``Allow`` value of every method served there (built once)."""
    index = getattr(app.state, "_allow_index", None)
    if index is None:
        methods: dict[str, set[str]] = {}
        for route in app.routes:
            for key in (route.path, getattr(route, "path_format", route.path)):
                methods.setdefault(key, set()).update(getattr(route, "methods", ()))
        index = {key: ", ".join(sorted(value)) for key, value in methods.items()}
        app.state._allow_index = index
    return index  # type: ignore[no-any-return]


def _with_true_allow(scope: Scope, send: Send) -> Send:
    """Litestar's automatic OPTIONS answer lists only the methods of the first controller
    mounted on a path; answer every method the path serves, as the document says."""
    app = scope.get("app")
    allow = _route_methods(app).get(scope.get("path_template", "")) if app is not None else None
    if allow is None:
        return send

    async def send_allow(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
            message["headers"] = [*headers, (b"allow", allow.encode())]
        await send(message)

    return send_allow
