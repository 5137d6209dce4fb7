"""Schemathesis over the whole served OpenAPI document, against a real ``shopdesk serve``.

Every operation, signed in as a shop's founder (so requests reach the handlers, not only
the guard), with every Schemathesis check: no 5xx, responses that conform to the documented
schemas, content types and headers, documented status codes only, ``Allow`` headers,
unsupported methods, missing headers, ignored authentication, schema-valid data accepted
and schema-invalid data refused. Where a refusal depends on something no schema can state,
the operations concerned accept that one documented status for valid data (``OPENED``,
each with its reason); nothing else is relaxed. Bounded and reproducible: a fixed seed and
``SHOPDESK_SCHEMATHESIS_EXAMPLES`` examples per operation (examples and fuzzing phases; the
coverage phase alone takes several minutes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.database import TestDatabase
from tests.support.servers import free_port, wait_until_ready
from tests.support.settings import TEST_SIGNING_KEYS
from tests.support.world import World

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("SHOPDESK_SCHEMATHESIS_EXAMPLES", "4"))
SEED = 20261201
# Valid-looking data the server rightly refuses, by what the schema cannot know:
# (status, why, operations matched by name, or by a parameter they take).
OPENED: list[tuple[str, str, list[str], str | None]] = [
    # A cursor is opaque: only the server's own (signed, bound to the query) cursors are
    # accepted, a forged one is a 400 `pagination.invalid_cursor` (documented as 400); the
    # same for an SSE `Last-Event-ID` the server never sent.
    ("400", "opaque cursor", [], "cursor"),
    ("400", "opaque event id", [], "last_event_id"),
    # The SSRF rule resolves the URL's host: whether a name resolves, and to a public
    # address, is the network's answer (422 `webhook.url_*`), not the schema's.
    ("422", "webhook target", ["POST /api/v1/shops/{shop_id}/webhooks/endpoints",
                               "PATCH /api/v1/shops/{shop_id}/webhooks/endpoints/{endpoint_id}"],
     None),
    # A checkpoint must be one of this chain's (422 `audit.checkpoint_other_chain`).
    ("422", "foreign checkpoint", ["POST /api/v1/shops/{shop_id}/audit/checkpoints/verify"], None),
    # Re-adding by user_id needs a former member of this shop (422
    # `member.not_a_former_member`): the shop's history, not the request's shape.
    ("422", "former member", ["POST /api/v1/shops/{shop_id}/members"], None),
    # Time zones are the server's tzdata names (422 `*.unknown_timezone`), an open list.
    ("422", "time zone", ["PUT /api/v1/shops/{shop_id}/sla/calendar",
                          "PATCH /api/v1/shops/{shop_id}"], None),
]
POSITIVE = ["2xx", "3xx", "401", "403", "404", "409", "429"]  # Schemathesis's default, less 5xx


def _operations_config(document: dict) -> str:
    blocks = []
    for status, _why, names, parameter in OPENED:
        matched = list(names)
        if parameter is not None:
            matched += [f"{method.upper()} {path}" for path, item in document["paths"].items()
                        for method, operation in item.items() if isinstance(operation, dict)
                        and any(p.get("name") == parameter
                                for p in operation.get("parameters", []))]
        if matched:
            blocks.append("[[operations]]\ninclude-name = " + json.dumps(matched) + "\n"
                          "checks.positive_data_acceptance.expected-statuses = "
                          + json.dumps([*POSITIVE, status]) + "\n")
    return "\n".join(blocks)


# Signing out would end the founder's own session half-way through the run; both routes
# are covered by the logout tests.
EXCLUDED_PATHS = r"^/api/v1/auth/logout"


@pytest.fixture(scope="module")
def server(database: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("schemathesis-server")
    env = {**os.environ, "DATABASE_URL": database.owner_url, "DATABASE_APP_URL": database.app_url,
           "SHOPDESK_JWT_KEYS": TEST_SIGNING_KEYS, "SHOPDESK_LOG_LEVEL": "WARNING",
           "SHOPDESK_PASSWORD_HASHING": "fast-insecure", "SHOPDESK_DATA_DIR": str(data_dir)}
    port = free_port()
    log = (data_dir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--no-migrate", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, timeout=60)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


async def test_the_served_document_holds_for_every_operation(server: str, world: World,
                                                             tmp_path: Path) -> None:
    shop_id, founder = await world.shop()
    config = tmp_path / "schemathesis.toml"
    document = httpx.get(f"{server}/schema/openapi.json", timeout=30).json()
    config.write_text(
        f'seed = {SEED}\n'
        f'[parameters]\n"shop_id" = "{shop_id}"\n'
        '[generation]\nmax-examples = ' + str(EXAMPLES) + '\n'
        'database = "none"\n\n' + _operations_config(document))
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
        f"{server}/schema/openapi.json", "--checks", "all",
        "--header", f"Authorization: Bearer {founder.tokens['web']}",
        "--exclude-path-regex", EXCLUDED_PATHS,
        "--phases", "examples,fuzzing", "--workers", "2", "--no-shrink",
        "--request-timeout", "15", "--suppress-health-check", "all",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NO_COLOR": "1",
                               "SCHEMATHESIS_HOOKS": "tests.integration.hardening.schemathesis_hooks"},
                          cwd=Path(__file__).resolve().parents[3])
    report = done.stdout[-20000:] + done.stderr[-4000:]
    assert done.returncode == 0, report
