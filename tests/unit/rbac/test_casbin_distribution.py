"""The ``casbin`` module must come from pycasbin, not the abandoned ``casbin`` distribution."""

from __future__ import annotations

from importlib import metadata


def test_casbin_module_is_provided_by_pycasbin_alone() -> None:
    assert metadata.packages_distributions()["casbin"] == ["pycasbin"]
