"""Signing keys: rotation order, refusals, and the development key kept on disk."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest

from api.app import create_app
from api.auth.keys import DEV_KEY_FILE, InvalidSigningKeyError, MissingSigningKeyError, load_keyring
from api.settings import Settings, load_settings

LONG = "s" * 32


def settings_for(tmp_path: Path, *, environment: str = "development",
                 keys: str | None = None) -> Settings:
    base = load_settings()
    return dataclasses.replace(base, environment=environment, data_dir=tmp_path,
                               auth=dataclasses.replace(base.auth, signing_keys=keys))


def test_first_configured_key_signs_and_all_verify(tmp_path: Path) -> None:
    ring = load_keyring(settings_for(tmp_path, keys=f"new:{LONG}a, old:{LONG}b"))
    assert ring.active_kid == "new"
    assert ring.secrets == {"new": f"{LONG}a".encode(), "old": f"{LONG}b".encode()}


@pytest.mark.parametrize("keys", [f"k:{'s' * 31}", f"good:{LONG},short:abc"])
def test_short_keys_are_refused(tmp_path: Path, keys: str) -> None:
    with pytest.raises(InvalidSigningKeyError, match="shorter than 32 bytes"):
        load_keyring(settings_for(tmp_path, keys=keys))


@pytest.mark.parametrize("keys", ["nokid", f":{LONG}", "k:", f"a:{LONG},", f"a:{LONG},a:{LONG}"])
def test_malformed_or_duplicate_keys_are_refused(tmp_path: Path, keys: str) -> None:
    with pytest.raises(MissingSigningKeyError):
        load_keyring(settings_for(tmp_path, keys=keys))


def test_development_without_keys_generates_one_private_key_and_reuses_it(tmp_path: Path) -> None:
    first = load_keyring(settings_for(tmp_path))
    path = tmp_path / DEV_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.active_secret) >= 32
    again = load_keyring(settings_for(tmp_path))
    assert again == first
    assert [p.name for p in tmp_path.iterdir()] == [DEV_KEY_FILE]  # no temporary files left


def test_development_creates_the_data_dir(tmp_path: Path) -> None:
    ring = load_keyring(settings_for(tmp_path / "nested" / "dir"))
    assert (tmp_path / "nested" / "dir" / DEV_KEY_FILE).exists() and ring.active_kid


def test_a_corrupt_development_key_file_is_refused_not_replaced(tmp_path: Path) -> None:
    (tmp_path / DEV_KEY_FILE).write_text("{not json")
    with pytest.raises(InvalidSigningKeyError):
        load_keyring(settings_for(tmp_path))


def test_production_without_keys_refuses_to_load(tmp_path: Path) -> None:
    with pytest.raises(MissingSigningKeyError, match="SHOPDESK_JWT_KEYS"):
        load_keyring(settings_for(tmp_path, environment="production"))
    assert not (tmp_path / DEV_KEY_FILE).exists()


def test_production_app_without_keys_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(MissingSigningKeyError):
        create_app(settings_for(tmp_path, environment="production"),
                   database_url="postgresql://nobody@127.0.0.1:1/none")


def test_production_app_with_short_key_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(MissingSigningKeyError):
        create_app(settings_for(tmp_path, environment="production", keys="k:short"),
                   database_url="postgresql://nobody@127.0.0.1:1/none")
