"""Turn py-spy's raw (collapsed) stacks into a short "where does the time go" table."""

from __future__ import annotations

import re
from collections import Counter

__all__ = ["summarise_raw_profile"]

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
# First match wins: (label, substring of the frame's file path).
_COMPONENTS = [
    ("ShopDesk api/", "api/"),
    ("ShopDesk rbac/", "rbac/"),
    ("casbin", "casbin/"),
    ("litestar", "litestar/"),
    ("sqlalchemy", "sqlalchemy/"),
    ("asyncpg", "asyncpg/"),
    ("PyJWT", "jwt/"),
    ("structlog", "structlog/"),
    ("logging", "logging/"),
    ("msgspec", "msgspec/"),
    ("uvicorn", "uvicorn/"),
    ("asyncio", "asyncio/"),
]


def _component(path: str) -> str:
    # py-spy prints site-packages files relative to site-packages, ours relative to the root.
    if path.endswith("api/cli.py"):
        return "other"  # `shopdesk serve` is the root of every stack: it says nothing
    for label, needle in _COMPONENTS:
        if path.startswith(needle) or f"/{needle}" in path:
            return label
    return "other"


def summarise_raw_profile(raw: str, top: int = 15) -> str:
    """Inclusive share per component and the top self-time functions of a py-spy raw dump."""
    total = 0
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    self_component: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = []
        for frame in stack.split(";"):
            match = _FRAME.match(frame.strip())
            if match:
                frames.append((match["func"], match["file"]))
        if not frames:
            continue
        for label in {_component(path) for _, path in frames}:
            inclusive[label] += count
        for name in {f"{func} ({path.split('site-packages/')[-1]})" for func, path in frames
                     if _component(path).startswith("ShopDesk")}:
            ours[name] += count
        func, path = frames[-1]
        self_time[f"{func} ({path.split('site-packages/')[-1]})"] += count
        self_component[_component(path)] += count
    if not total:
        return "profile: no samples"
    lines = [f"py-spy: {total} samples of ShopDesk's process while under the same load",
             "", f"{'component':18} {'inclusive':>9} {'self':>7}"]
    for label, count in inclusive.most_common():
        lines.append(f"{label:18} {count / total:9.1%} {self_component[label] / total:7.1%}")
    lines += ["", "top self time:"]
    lines += [f"  {count / total:6.1%}  {name}" for name, count in self_time.most_common(top)]
    lines += ["", "ShopDesk functions, inclusive:"]
    lines += [f"  {count / total:6.1%}  {name}" for name, count in ours.most_common(top)]
    return "\n".join(lines)
