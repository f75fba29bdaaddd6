"""The ``ticketbot`` command line, run as a real process against a SQLite file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.processes import Run, ticketbot


@pytest.fixture
def cli(tmp_path: Path) -> Run:
    return ticketbot(tmp_path, tmp_path / "cli.db")


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
    assert [t["id"] for t in listed["items"]] == [tid] and listed["has_more"] is False
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
    assert "Opened TKT-" in proc.stdout and "[Open] [Urgent] [Technical]  Printer on fire" in proc.stdout
    assert "Tickets: 1 total · 1 open" in proc.stdout


def test_version_is_quick_and_plain(cli) -> None:  # type: ignore[no-untyped-def]
    assert re.fullmatch(r"ticketbot \d+\.\d+\.\d+\S*\n", cli("--version").stdout)


def test_every_chat_action_has_a_command(cli) -> None:  # type: ignore[no-untyped-def]
    tid = json.loads(cli("ticket", "create", "--user", "u1", "--subject", "Printer", "--json").stdout)["id"]
    assert "Internal note added" in cli("ticket", "note", tid, "--message", "check toner", "--staff", "sam").stdout
    assert cli("ticket", "assign", tid, "--to", "slack:U42").stdout == f"{tid} is assigned to U42 (Slack).\n"
    assert "is now High priority (was Medium)" in cli("ticket", "priority", tid, "high").stdout
    assert "is now in Billing (was Technical)" in cli("ticket", "category", tid, "billing").stdout
    reply = cli("ticket", "reply", tid, "--staff", "sam", "--message", "Fixed the toner", "--json").stdout
    assert json.loads(reply)["author"]["is_staff"] is True
    closed = cli("ticket", "close", tid, "--reason", "toner replaced").stdout
    assert closed == f"{tid} is now Closed (resolved) — toner replaced.\n"
    assert "rated ★★★★☆ (4/5)" in cli("ticket", "rate", tid, "4", "--user", "u1").stdout
    again = cli("ticket", "rate", tid, "5", "--user", "u1", code=1)
    assert again.stderr == f"error: {tid} was already rated 4/5\n"
    assert "is reopened" in cli("ticket", "reopen", tid).stdout
    history = cli("ticket", "history", tid).stdout
    assert "assignee: — → U42 (Slack)  by operator (CLI)" in history and "priority: Medium → High" in history
    shown = json.loads(cli("ticket", "show", tid, "--json").stdout)
    assert shown["ticket"]["sla_state"].startswith("due in") and shown["ticket"]["rating"] == 4
    assert [m["author"]["is_staff"] for m in shown["messages"]] == [True, True]


def test_lists_page_and_say_how_many(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from bot.bootstrap import open_runtime
    from bot.settings import load_settings
    from core.model import Actor

    async def fill() -> None:  # 25 tickets in one process (25 CLI calls would only test start-up 25 times)
        runtime = await open_runtime(load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"))
        for n in range(25):
            await runtime.desk.create_ticket(subject=f"ticket number {n}", requester=Actor("api", f"u{n}"))
        await runtime.close()

    asyncio.run(fill())
    first = cli("ticket", "list").stdout.splitlines()
    assert first[0] == "showing 1–20 of 25 · next page: --page 2" and len(first) == 21
    second = cli("ticket", "list", "--page", "2").stdout.splitlines()
    assert second[0] == "showing 21–25 of 25" and len(second) == 6
    page = json.loads(cli("ticket", "search", "number", "--page", "2", "--json").stdout)
    assert (len(page["items"]), page["total"], page["has_more"], page["next_page"]) == (5, 25, False, None)
    assert len(json.loads(cli("ticket", "list", "--status", "all", "--json").stdout)["items"]) == 20
    assert cli("ticket", "list", "--limit", "500", code=1).stderr.startswith("error: a page holds at most 100")


def test_errors_under_json_are_json_with_a_stable_code(cli) -> None:  # type: ignore[no-untyped-def]
    for args, code, status in [
        (("ticket", "show", "TKT-BBBBB"), "not_found", 1),
        (("ticket", "show", "nonsense"), "invalid_input", 1),
        (("ticket", "create", "--user", "u", "--subject", "x", "--email", "not-an-address"), "invalid_input", 1),
        (("ticket", "create", "--subject", "x"), "usage", 2),
        (("ticket", "list", "--status", "someday"), "invalid_input", 2),
    ]:
        proc = cli(*args, "--json", code=status)
        assert json.loads(proc.stderr)["error"]["code"] == code and proc.stderr.count("\n") == 1


def test_text_a_terminal_would_obey_is_printed_inert(cli) -> None:  # type: ignore[no-untyped-def]
    subject = "Title\x1b]0;owned\x07\x1b[2J\u202etxt.exe"
    tid = json.loads(cli("ticket", "create", "--user", "u1", "--subject", subject, "--json").stdout)["id"]
    for out in (cli("ticket", "show", tid).stdout, cli("ticket", "list").stdout):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out)
    raw = cli("ticket", "show", tid, "--json").stdout
    assert "\\u001b]0;owned\\u0007" in raw and "\\u202e" in raw
    assert json.loads(raw)["ticket"]["subject"] == subject  # stored as received


def every_command() -> list[tuple[str, ...]]:
    """Every command the CLI has, read from the app itself (a new command is covered without a list to edit)."""
    from typer.main import get_command

    from bot.cli import app

    def walk(group: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        found = []
        for name, command in sorted(group.commands.items()):
            found += walk(command, (*path, name)) if hasattr(command, "commands") else [(*path, name)]
        return found

    return walk(get_command(app), ())


def run_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI's own entry point in this process: exit code, stdout, stderr (quicker than a process each)."""
    from bot.cli import main

    with pytest.raises(SystemExit) as ended:
        main(list(args))
    out, err = capsys.readouterr()
    return int(ended.value.code or 0), out, err


@pytest.mark.parametrize("command", every_command(), ids=" ".join)
def test_every_command_has_help_and_answers_bad_input_in_one_line(
    command: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TICKETBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    code, out, _ = run_in_process(capsys, *command, "--help")
    assert code == 0 and "Usage: ticketbot " + " ".join(command) in out
    code, _, err = run_in_process(capsys, *command, "--no-such-option", "TKT-BBBBB")
    assert code == 2 and err.startswith("error: No such option '--no-such-option'") and err.count("\n") == 1
    assert "Traceback" not in err


def test_the_command_list_is_complete() -> None:
    names = {" ".join(c) for c in every_command()}
    assert {"ticket create", "ticket show", "ticket rate", "stats", "migrate", "run", "console", "doctor",
            "import", "digest", "outbox list", "outbox retry"} <= names  # fmt: skip


def test_surrogates_from_argv_are_repaired_not_a_crash(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")}
    env["TICKETBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "ticket", "create", "--user", "u\udcff", "--subject", b"caf\xff".decode(
            "utf-8", "surrogateescape"), "--json"], env=env, cwd=tmp_path, capture_output=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["subject"] == "caf\ufffd"


def test_ctrl_c_stops_the_console_at_once_without_enter(tmp_path: Path) -> None:
    import signal
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")}
    env["TICKETBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "console"], env=env, cwd=tmp_path, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        assert "ticketbot console" in proc.stdout.readline()  # it is waiting for a line now
        time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)  # no Enter, stdin still open
        proc.wait(timeout=10)
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")
