"""Docs that run: every Python block in README.md is executed as written (in a fresh process, on a fresh
SQLite file), and the shell blocks name only commands the CLI has."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(README.read_text()) if lang == language]


def test_the_readme_has_python_examples() -> None:
    assert blocks("python"), "README.md lost its Python example"


@pytest.mark.parametrize("source", blocks("python"), ids=lambda s: s.strip().splitlines()[0][:40])
def test_python_blocks_run_as_written(source: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")}
    env["TICKETBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'readme.db'}"
    script = tmp_path / "example.py"
    script.write_text(source)
    proc = subprocess.run([sys.executable, str(script)], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def test_every_ticketbot_command_in_the_readme_exists() -> None:
    from typer.main import get_command

    from bot.cli import app

    cli = get_command(app)
    named = {
        tuple(line.split()[1:3])
        for body in blocks("sh")
        for line in body.splitlines()
        if line.startswith("ticketbot ") and not line.split()[1].startswith("-")
    }
    assert named
    for words in named:
        command = cli.commands.get(words[0])  # type: ignore[attr-defined]
        assert command is not None, f"README names `ticketbot {words[0]}`, which does not exist"
        if hasattr(command, "commands") and len(words) > 1:
            assert words[1] in command.commands, f"README names `ticketbot {' '.join(words)}`, which does not exist"
