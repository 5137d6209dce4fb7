"""Post-processing of the generated OpenAPI document, run once by ``document_responses``.

Two things Litestar's generator does not state and a client generator needs:

- **Stable component names.** Litestar names a component after its class, but prefixes the
  module path when two classes share a name (``quick_phrases_schemas_GroupRead``) and spells
  generics with their full path (``Page_api.domain.shops.schemas.ShopRead_``): names that
  change when a module moves or a namesake appears elsewhere. Every component is keyed by
  its title instead (``Page[ShopRead]`` → ``PageShopRead``); titles are class names, which
  the test suite keeps unique across the document.
- **Request bodies as the decoder sees them.** The Structs the handlers really decode (their
  ``data`` parameter and the Structs nested in it, found from the routes, not from a list
  kept by hand) are described by msgspec's own JSON Schema: every ``Meta`` constraint where
  it applies, and ``additionalProperties: false`` for ``forbid_unknown_fields=True``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

import msgspec
import msgspec.inspect as mi
from litestar.openapi.spec import OpenAPI, Reference

__all__ = ["decoded_structs", "document_request_structs", "name_components_by_title"]

_REF_PREFIX = "#/components/schemas/"


def _walk(node: Any, seen: set[int]) -> Iterable[Any]:
    """Every spec object reachable from ``node`` once (schemas are shared between paths)."""
    if id(node) in seen or node is None or isinstance(node, str | int | float | bool):
        return
    seen.add(id(node))
    yield node
    if isinstance(node, dict):
        children: Iterable[Any] = node.values()
    elif isinstance(node, list | tuple):
        children = node
    elif dataclasses.is_dataclass(node):
        children = (getattr(node, f.name) for f in dataclasses.fields(node))
    else:
        return
    for child in children:
        yield from _walk(child, seen)


def name_components_by_title(openapi: OpenAPI) -> None:
    """Key every component schema by its (sanitised) title and point every reference there."""
    schemas = openapi.components.schemas or {}
    renamed: dict[str, str] = {}
    taken: set[str] = set()
    for key, schema in schemas.items():
        title = getattr(schema, "title", None)
        name = re.sub(r"[^A-Za-z0-9]", "", title) if title else key
        # Two titles that sanitise alike keep Litestar's key: the uniqueness test names them.
        renamed[key] = key if not name or name in taken else name
        taken.add(renamed[key])
    openapi.components.schemas = {renamed[key]: schema for key, schema in schemas.items()}
    for node in _walk(openapi, set()):
        if isinstance(node, Reference) and node.ref.startswith(_REF_PREFIX):
            old = node.ref[len(_REF_PREFIX):]
            node.ref = _REF_PREFIX + renamed.get(old, old)


def _structs(info: mi.Type, found: set[type], depth: int = 0) -> None:
    if depth > 32:  # msgspec's type_info already ends cycles; a bound costs nothing
        return
    if isinstance(info, mi.StructType):
        if info.cls in found:
            return
        found.add(info.cls)
        nested: Iterable[mi.Type] = (f.type for f in info.fields)
    elif isinstance(info, mi.UnionType):
        nested = info.types
    elif isinstance(info, mi.DictType):
        nested = (info.key_type, info.value_type)
    elif isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        nested = (info.item_type,)
    elif isinstance(info, mi.TupleType):
        nested = info.item_types
    else:
        return
    for item in nested:
        _structs(item, found, depth + 1)


def decoded_structs(app: Any) -> list[type]:
    """The Structs handlers decode from a request body, nested ones included."""
    found: set[type] = set()
    for route in getattr(app, "routes", ()):
        for handler in getattr(route, "route_handlers", ()):
            signature = getattr(handler, "parsed_fn_signature", None)
            data = getattr(signature, "parameters", {}).get("data")
            if data is None:
                continue
            try:
                _structs(mi.type_info(data.annotation), found)
            except (TypeError, ValueError):  # not a msgspec-decodable annotation
                continue
    return sorted(found, key=lambda cls: (cls.__name__, cls.__module__))


def _narrowed_enums(node: Any) -> None:
    """A field that narrows a shared enum (``Meta(extra_json_schema={"enum": [...]})``) states
    its own values: the ``$ref`` beside them would let tools read the whole enum."""
    if isinstance(node, dict):
        if "$ref" in node and "enum" in node:
            del node["$ref"]
            node.setdefault("type", "string")
        for value in node.values():
            _narrowed_enums(value)
    elif isinstance(node, list):
        for value in node:
            _narrowed_enums(value)


# What Python's ``\s`` matches in a str pattern (``str.isspace``); ECMA-262's ``\s``, which
# clients and fuzzers use to read a published pattern, differs (no \x1c-\x1f or \x85).
_PY_SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NO_NUL = "^[^\\x00]*$"


def _portable_pattern(pattern: str) -> str:
    r"""``pattern`` with ``\s``/``\S`` spelled out as Python reads them (no other escape is
    ambiguous between the two dialects in the patterns of this API)."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            escape = pattern[i:i + 2]
            if escape == "\\s":
                out.append(_PY_SPACE if in_class else f"[{_PY_SPACE}]")
            elif escape == "\\S" and not in_class:
                out.append(f"[^{_PY_SPACE}]")
            else:
                out.append(escape)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


def _strings_as_decoded(node: Any) -> None:
    """Patterns in Python's sense, and no NUL in any request string: the server refuses a
    NUL anywhere in a body (400 ``request.nul_character``) before decoding it."""
    if isinstance(node, dict):
        if node.get("type") == "string":
            if "pattern" in node:
                node["pattern"] = _portable_pattern(node["pattern"])
            elif not ({"enum", "format", "const"} & set(node)):
                node["pattern"] = _NO_NUL
        for value in node.values():
            _strings_as_decoded(value)
    elif isinstance(node, list):
        for value in node:
            _strings_as_decoded(value)


def document_request_structs(openapi: OpenAPI, structs: list[type]) -> None:
    """Describe every decoded Struct with msgspec's own JSON Schema: what the decoder checks.

    Litestar's generator loses constraints msgspec enforces (a ``ge=0`` beside ``UNSET`` or
    ``None``, the ``Meta`` of list items) and knows nothing of ``forbid_unknown_fields``;
    msgspec states them exactly, ``additionalProperties: false`` included. Components are
    keyed by class name, as ``name_components_by_title`` keys Litestar's.
    """
    if not structs:
        return
    _, generated = msgspec.json.schema_components(
        structs, ref_template=_REF_PREFIX + "{name}")
    _narrowed_enums(generated)
    _strings_as_decoded(generated)
    schemas = dict(openapi.components.schemas or {})
    names = {cls.__name__ for cls in structs}
    for name, schema in generated.items():
        if name in names or name not in schemas:
            schemas[name] = schema
    openapi.components.schemas = dict(sorted(schemas.items()))
