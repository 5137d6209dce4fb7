"""``shopdesk shops create --founder-email``: the same invitation path as the API, and the mail
really leaves once the CLI's transaction has committed."""

from __future__ import annotations

import contextlib
import dataclasses
import email
import email.policy
import io
import re
import uuid
from pathlib import Path

import pytest

from api.cli import build_parser, cmd_shops_create
from api.settings import Settings
from tests.support.mailbox import accept
from tests.support.world import PASSWORD, Account, World

_TOKEN = re.compile(r"inv_[0-9a-f]{32}_[0-9a-f]{32}_[A-Za-z0-9_-]+")


def _run_cli(settings: Settings, data_dir: Path, address: str) -> str:
    """The command as an operator runs it (its own engine and commit), with its own outbox."""
    args = build_parser().parse_args(["shops", "create", "--name", "Tea", "--slug",
                                      f"cli-{uuid.uuid4().hex[:10]}", "--founder-email", address])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cmd_shops_create(args, dataclasses.replace(settings, data_dir=data_dir))
    assert code == 0, out.getvalue()
    return out.getvalue()


@pytest.fixture
def cli_output(settings: Settings, tmp_path: Path) -> tuple[str, str, Path]:
    address = f"cli-founder-{uuid.uuid4().hex[:8]}@example.com"
    return address, _run_cli(settings, tmp_path, address), tmp_path / "outbox"


def test_cli_prints_the_invitation_and_the_outbox_file_never_the_token(
        cli_output: tuple[str, str, Path]) -> None:
    address, output, outbox = cli_output
    [mail] = list(outbox.glob("*.eml"))
    assert str(mail) in output and "invitation " in output and address in output
    assert "inv_" not in output  # the token is the founder's secret
    message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
    assert message["To"] == address and _TOKEN.search(message.get_content())  # type: ignore[attr-defined]


async def test_the_founder_accepts_the_cli_invitation_and_signs_in(
        world: World, cli_output: tuple[str, str, Path]) -> None:
    address, output, outbox = cli_output
    [mail] = list(outbox.glob("*.eml"))
    content = email.message_from_bytes(mail.read_bytes(),
                                       policy=email.policy.default).get_content()  # type: ignore[attr-defined]
    match = _TOKEN.search(content)
    assert match
    accepted = await accept(world, match.group(0), password=PASSWORD)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "founder"
    shop_id = re.search(r"created shop ([0-9a-f-]{36})", output)
    assert shop_id and accepted.json()["shop_id"] == shop_id.group(1)
    founder = Account(id=uuid.UUID(accepted.json()["user_id"]), email=address)
    await world.login(founder)
    response = await world.client.get(f"/api/v1/shops/{shop_id.group(1)}/members",
                                      headers=founder.headers())
    assert response.status_code == 200, response.text
