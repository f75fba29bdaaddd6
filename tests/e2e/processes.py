"""Running ``ticketbot`` as a real process (``python -m bot``) against a SQLite file of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., subprocess.CompletedProcess[str]]


def ticketbot(folder: Path, database: Path, **env: str) -> Run:
    """``run(*args, code=0, extra_env=None, stdin=None)``: the process's result; its exit code must be ``code``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")}
    base |= {"TICKETBOT_DATABASE_URL": f"sqlite+aiosqlite:///{database}", **env}

    def run(
        *args: str, code: int = 0, extra_env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", *args], env={**base, **(extra_env or {})}, cwd=folder,
            capture_output=True, text=True, timeout=60,
            input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
        )  # fmt: skip
        assert proc.returncode == code, proc.stdout + proc.stderr
        return proc

    return run
