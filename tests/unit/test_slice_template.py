"""The foundation's slices follow the template: statuses come from each slice's ``enums.py``.

A bare ``"active"`` in a service is how two spellings of one status start; the enum is the
one place the stored strings are written. Checked on the slices the template was set on
(new slices are held to it by review; add them here once they follow it).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from api.domain.members.enums import MemberStatus
from api.domain.shops.enums import ShopStatus

ROOT = Path(__file__).resolve().parents[2]
SLICES = ("auth", "users", "shops", "members", "audit", "authz", "health", "me")
STATUSES = {s.value for s in (*ShopStatus, *MemberStatus)}
# A status spelled inside SQL: status = 'active', IN ('active', ...).
_SQL_LITERAL = re.compile(r"(=|IN\s*\(|,)\s*'(" + "|".join(sorted(STATUSES)) + r")'", re.I)


def _bare_statuses(path: Path) -> list[str]:
    """``line: literal`` for every string constant that spells a status."""
    tree = ast.parse(path.read_text(), str(path))
    return [f"{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and (node.value in STATUSES or _SQL_LITERAL.search(node.value))]


@pytest.mark.parametrize("slice_name", SLICES)
def test_statuses_are_spelled_only_in_enums(slice_name: str) -> None:
    folder = ROOT / "api" / "domain" / slice_name
    assert folder.is_dir(), folder
    found = [f"{path.relative_to(ROOT)}:{hit}" for path in sorted(folder.rglob("*.py"))
             if path.name != "enums.py" for hit in _bare_statuses(path)]
    assert found == []


def test_the_check_sees_a_bare_status(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('x = "active"\ny = "SELECT 1 WHERE status = \'removed\'"\nz = "fine"\n'
                      '"""Docs may say active and removed."""\n')
    assert _bare_statuses(sample) == ["1: 'active'", "2: \"SELECT 1 WHERE status = 'removed'\""]
