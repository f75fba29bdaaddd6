"""The README's web examples work as written: its curl blocks run in bash against a running server, and its
Discord invite link asks for exactly the permissions the start-up checks require."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from adapters.discord.checks import INVITE_PERMISSIONS
from tests.e2e.web.harness import SECRET, TOKEN, Web

README = Path(__file__).resolve().parents[3] / "README.md"


def curl_blocks() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), re.DOTALL)
    return [b for b in blocks if "curl " in b]


async def test_the_readmes_curl_examples_run_as_written(web: Web) -> None:
    blocks = curl_blocks()
    assert len(blocks) == 2, "README.md lost its API or webhook example"
    env = {**os.environ, "TICKETBOT_URL": web.url, "TOKEN": TOKEN, "TICKETBOT_WEBHOOK_SECRET": SECRET}
    outputs = []
    for block in blocks:
        proc = await asyncio.create_subprocess_exec(
            "bash", "-euo", "pipefail", "-c", block, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        outputs.append(out.decode())
    assert '"subject":"Cannot access dashboard"' in outputs[0] and '"total":1' in outputs[0]
    assert '"action":"opened"' in outputs[1]
    assert await web.count() == 2


def test_the_invite_link_asks_for_what_the_checks_require() -> None:
    [permissions] = re.findall(r"discord\.com/oauth2/authorize\?[^`]*permissions=(\d+)", README.read_text())
    assert int(permissions) == INVITE_PERMISSIONS
