"""What an automatic reply says: text, a link, or an image-text card (图文).

Shared by keyword rules and hosting. Stored as JSON (``msgspec.to_builtins`` of these
structs) and turned into a message body plus attachments by ``to_message``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

__all__ = ["CardContent", "Content", "LinkContent", "TextContent", "normalize", "to_message"]

# No NUL anywhere (PostgreSQL text refuses it): every string field matches this.
_NO_NUL = r"^[^\x00]*$"
_URL = r"^https?://[^\s\x00]+$"

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=_NO_NUL)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_NO_NUL)]
Url = Annotated[str, msgspec.Meta(min_length=8, max_length=2000, pattern=_URL)]
Description = Annotated[str, msgspec.Meta(max_length=1000, pattern=_NO_NUL)]


class TextContent(msgspec.Struct, tag="text", tag_field="kind", forbid_unknown_fields=True):
    text: Text


class LinkContent(msgspec.Struct, tag="link", tag_field="kind", forbid_unknown_fields=True):
    url: Url
    title: Title
    text: Description = ""


class CardContent(msgspec.Struct, tag="card", tag_field="kind", forbid_unknown_fields=True):
    title: Title
    url: Url
    image_url: Url
    description: Description = ""


Content = TextContent | LinkContent | CardContent

_BLANK = re.compile(r"\s+")


def to_message(content: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The (body, attachments) a stored content becomes as a message."""
    kind = content.get("kind")
    if kind == "link":
        body = content.get("text") or content["title"]
        return body, [{"kind": "link", "url": content["url"], "title": content["title"]}]
    if kind == "card":
        return content["title"], [{
            "kind": "card", "url": content["url"], "title": content["title"],
            "image_url": content["image_url"], "description": content.get("description", ""),
        }]
    return content["text"], []


def normalize(text: str) -> str:
    """How keywords and customer text are compared: casefolded, whitespace collapsed."""
    return _BLANK.sub(" ", text).strip().casefold()
