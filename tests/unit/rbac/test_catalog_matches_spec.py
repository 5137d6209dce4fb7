"""The catalog is the spec: every key and every cell of roles.md, nothing more, nothing less."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rbac.catalog import FIRM_ROLE_GRANTS, MATRIX, SHOP_ROLES, Cell, FirmRole, policy_lines

SPEC = Path(__file__).resolve().parents[4] / "shared" / "spec" / "roles.md"


def _spec_rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|\s*([a-z_]+:[a-z_]+)\s*\|(.*)$", line)
        if match:
            cells = [c.strip() for c in match.group(2).split("|")][: len(SHOP_ROLES)]
            rows[match.group(1)] = cells
    return rows


@pytest.fixture(scope="module")
def spec_rows() -> dict[str, list[str]]:
    assert SPEC.exists(), f"the spec should sit beside the repository at {SPEC}"
    return _spec_rows()


def test_catalog_has_exactly_the_spec_permission_keys(spec_rows: dict[str, list[str]]) -> None:
    assert set(MATRIX) == set(spec_rows)


def test_every_cell_matches_the_spec(spec_rows: dict[str, list[str]]) -> None:
    for perm, cells in spec_rows.items():
        for role, cell in zip(SHOP_ROLES, cells, strict=True):
            assert MATRIX[perm][role] is Cell(cell), (perm, role)


def test_policy_lines_carry_conditions_for_b_and_m_rows() -> None:
    lines = {(line.perm, line.role): line.cond for line in policy_lines()}
    assert lines[("customers:read", "agent")] == "wechat"
    assert lines[("verifications:redeem", "verifier")] == "mobile"
    assert lines[("orders:read", "agent")] == "always"
    assert ("refunds:process", "agent") not in lines
    assert not any(role == "verifier" and cond != "mobile" for (_, role), cond in lines.items())


def test_firm_auditor_is_read_only() -> None:
    grants = FIRM_ROLE_GRANTS[FirmRole.PLATFORM_AUDITOR]
    assert grants == {"shops:list", "staff:read", "audit:read"}
    # Never conversation or customer content.
    assert not any(p.startswith(("cs:", "customers:", "orders:")) for p in grants)
