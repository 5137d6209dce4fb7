"""Schemathesis hooks for ``test_schemathesis`` (loaded through ``SCHEMATHESIS_HOOKS``).

A client sends a fresh ``Idempotency-Key`` for every new request: generated data would reuse
the same few short keys with other bodies, which the server rightly refuses (422
``idempotency.key_reused``, tested in ``tests/integration/idempotency``). Only valid
(positive) cases get a fresh key; negative ones keep theirs, so a malformed key is still
sent and must be refused.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

HEADER = "Idempotency-Key"


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    headers = case.headers or {}
    meta = getattr(case, "meta", None)
    positive = meta is None or meta.generation.mode.is_positive
    if HEADER in headers and positive:
        headers[HEADER] = uuid.uuid4().hex
        case.headers = headers
