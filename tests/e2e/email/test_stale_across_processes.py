"""Timers made by one process fire in another, once: a ticket set Pending by ``ticketbot ticket reply`` (a process
that exits at once) gets its stale reminder and its auto-close mail from ``ticketbot run``, started afterwards;
a second ``ticketbot run`` sends nothing again. Real processes, a real SMTP server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.email.conftest import Server


def _wait_for(inbox_size: int, smtp: Server, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(smtp.inbox) < inbox_size:
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"{len(smtp.inbox)} mails of {inbox_size}:\n{log.read_text()}"
        time.sleep(0.1)


def _serve(env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("a") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip


def _stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, log.read_text()


def test_stale_reminder_and_close_fire_in_the_next_process_once(smtp: Server, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETBOT_")}
    env.update(
        TICKETBOT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}", TICKETBOT_HTTP__PORT="0",
        TICKETBOT_SMTP__HOST="127.0.0.1", TICKETBOT_SMTP__PORT=str(smtp.port), TICKETBOT_SMTP__STARTTLS="false",
        TICKETBOT_SMTP__FROM="Support <support@example.com>",
        TICKETBOT_STALE__REMIND_AFTER="3s", TICKETBOT_STALE__CLOSE_AFTER="6s",
    )  # fmt: skip

    def cli(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    created = json.loads(cli("ticket", "create", "--user", "u1", "--email", "u1@example.com",
                             "--subject", "VPN drops", "--priority", "high", "--json"))  # fmt: skip
    cli("ticket", "reply", created["id"], "--staff", "sam", "--message", "Does the new profile help?")
    log = tmp_path / "run.log"
    first = _serve(env, tmp_path, log)
    try:
        _wait_for(4, smtp, first, log)  # created, the reply, the stale reminder, the close
    finally:
        _stop(first, log)
    created_mail, reply, reminder, closed = smtp.inbox.received
    assert "We usually answer High tickets within 4 h." in created_mail.text
    assert "Does the new profile help?" in reply.text
    assert "has been waiting for your answer since" in reminder.text and "it will be closed on" in reminder.text
    assert "closed automatically: no answer from the requester for 6 s" in closed.text
    assert json.loads(cli("ticket", "show", created["id"], "--json"))["ticket"]["status"] == "Closed"

    second = _serve(env, tmp_path, log)
    try:
        time.sleep(3)  # a few scheduler ticks and delivery rounds
        assert second.poll() is None
    finally:
        _stop(second, log)
    assert len(smtp.inbox) == 4, "nothing fires or is mailed twice"
