"""No secret in any log: a forced 500, in both formats, leaves only redacted text."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from api.observability import redact_text
from tests.integration.hardening import crash_server
from tests.support.database import TestDatabase
from tests.support.settings import TEST_SIGNING_KEYS

SECRETS = [crash_server.PASSWORD, crash_server.JWT, crash_server.KEY, crash_server.REFRESH,
           # parts an attacker could use: the JWT's signature, the key's secret half
           crash_server.JWT.split(".")[2], crash_server.KEY.split("_", 2)[2],
           crash_server.JWT[:20]]


def _crash_log(database: TestDatabase, log_format: str) -> str:
    env = {**os.environ, "DATABASE_URL": database.owner_url, "DATABASE_APP_URL": database.app_url,
           "SHOPDESK_JWT_KEYS": TEST_SIGNING_KEYS, "SHOPDESK_LOG_FORMAT": log_format,
           "SHOPDESK_LOG_LEVEL": "INFO", "SHOPDESK_PASSWORD_HASHING": "fast-insecure",
           "SHOPDESK_AUTHZ_POLL_SECONDS": "0"}
    done = subprocess.run([sys.executable, "-m", "tests.integration.hardening.crash_server"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_500_logs_its_traceback_without_any_secret(database: TestDatabase,
                                                     log_format: str) -> None:
    log = _crash_log(database, log_format)
    assert "unhandled error" in log and "RuntimeError" in log  # the traceback is there
    assert "Traceback" in log
    for secret in SECRETS:
        assert secret not in log, f"{secret!r} leaked into the {log_format} log"
    assert "[redacted]" in log
    if log_format == "json":
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert any(line.get("event") == "unhandled error" for line in lines)


def test_redaction_keeps_the_listed_key_prefix_and_ordinary_text() -> None:
    text = redact_text(f"key {crash_server.KEY} for shop 42, ok")
    assert "sdk_01234567" in text and "KeySecret" not in text and "for shop 42, ok" in text
    assert "dXNlcjpwYXNz" not in redact_text("Authorization: Basic dXNlcjpwYXNz")
    assert redact_text('{"new_password": "hunter22"}') == '{"new_password": "[redacted]"}'
