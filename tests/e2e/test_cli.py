"""The ``ticketbot`` command line, run as a real process against a SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")}
    env["TICKETBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    def run(*args: str, code: int = 0, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "bot", *args], env={**env, **(extra_env or {})}, cwd=tmp_path,
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert proc.returncode == code, proc.stdout + proc.stderr
        return proc

    return run


def test_ticket_lifecycle_from_the_command_line(cli) -> None:  # type: ignore[no-untyped-def]
    created = json.loads(cli("ticket", "create", "--user", "u1", "--subject", "Cannot access dashboard",
                             "--category", "technical", "--priority", "HIGH", "--message", "500 error",
                             "--email", "u1@example.com", "--json").stdout)  # fmt: skip
    tid = created["id"]
    assert (created["priority"], created["category"], created["status"]) == ("High", "Technical", "Open")
    cli("ticket", "reply", tid, "--staff", "sam", "--message", "Reset your password")
    cli("ticket", "reply", tid, "--user", "u1", "--message", "Thanks, works")
    shown = json.loads(cli("ticket", "show", tid, "--json").stdout)
    assert [m["role"] for m in shown["messages"]] == ["requester", "staff", "requester"]
    assert shown["ticket"]["status"] == "Open"
    assert "Closed" in cli("ticket", "status", tid, "closed").stdout
    found = json.loads(cli("ticket", "search", "dashboard status:closed", "--json").stdout)
    assert [t["id"] for t in found["items"]] == [tid]
    listed = json.loads(cli("ticket", "list", "--status", "closed", "--json").stdout)
    assert [t["id"] for t in listed] == [tid]
    stats = json.loads(cli("stats", "--json").stdout)
    assert (stats["total"], stats["closed"]) == (1, 1)


def test_errors_are_one_line_and_non_zero(cli) -> None:  # type: ignore[no-untyped-def]
    missing = cli("ticket", "show", "TKT-BBBBB", code=1)
    assert missing.stderr.strip() == "error: ticket TKT-BBBBB not found"
    bad = cli("ticket", "create", "--user", "u", "--subject", "x", "--priority", "asap", code=1)
    assert bad.stderr.strip() == "error: unknown priority 'asap'; choose one of Low, Medium, High, Urgent"
    query = cli("ticket", "search", '"open quote', code=1)
    assert query.stderr.count("\n") == 1 and "Traceback" not in query.stderr
    config = cli("stats", code=2, extra_env={"TICKETBOT_DISCORD__GUILD_ID": "not-a-number"})
    assert config.stderr.startswith("error: invalid configuration: TICKETBOT_DISCORD__GUILD_ID")
    assert "Traceback" not in config.stderr


def test_migrate_reports_the_revision(cli) -> None:  # type: ignore[no-untyped-def]
    out = json.loads(cli("migrate", "--json").stdout)
    assert out["revision"]


def test_run_without_a_terminal_serves_until_sigterm(tmp_path: Path) -> None:
    import re
    import signal
    import time
    import urllib.request

    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")}
    env.update(TICKETBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}", TICKETBOT_HTTP__PORT="0",
               TICKETBOT_LOG_LEVEL="INFO")  # fmt: skip
    log = tmp_path / "run.log"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not (found := re.search(r"web server on (http://\S+)", log.read_text())):
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            with urllib.request.urlopen(found.group(1) + "/healthz", timeout=10) as health:
                assert health.status == 200
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, log.read_text()
    assert "ticketbot stopped" in log.read_text()


def test_console_command_reads_lines_and_answers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")}
    env["TICKETBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    lines = "/ticket new Printer on fire priority:urgent\n/ticket list\n/ticket stats\n/quit\n"
    proc = subprocess.run([sys.executable, "-m", "bot", "console", "--staff", "Sam"], input=lines, env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "you are Sam (staff)" in proc.stdout
    assert "Opened TKT-" in proc.stdout and "[Open] [Urgent] [General]  Printer on fire" in proc.stdout
    assert "Tickets: 1 total · 1 open" in proc.stdout
