"""``ticketbot outbox`` and ``ticketbot digest``, run as real processes against a SQLite file."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.desk import Desk
from core.events import Event, TicketOpened
from core.model import Actor
from core.outbox import Dispatcher
from core.ports import SystemClock
from core.storage.database import SqlDatabase
from core.storage.engine import build_engine
from core.storage.migrate import upgrade
from tests.e2e.processes import Run, ticketbot
from tests.fakes.clock import FakeClock
from tests.fakes.recorder import Recorder

SLACK = {
    "TICKETBOT_SLACK__BOT_TOKEN": "xoxb-test",
    "TICKETBOT_SLACK__SIGNING_SECRET": "secret",
    "TICKETBOT_SLACK__STAFF_CHANNEL": "C0STAFF",
    "TICKETBOT_SLACK__STAFF_USERS": "U0SAM",
}


@pytest.fixture
def cli(tmp_path: Path) -> Run:
    return ticketbot(tmp_path, tmp_path / "cli.db")


class Down(Recorder):
    """An email consumer whose server refuses every new-ticket mail until it is back."""

    def __init__(self, clock: Any) -> None:
        super().__init__("email", clock)
        self.down = True

    async def notify(self, event: Event) -> None:
        if self.down and isinstance(event, TicketOpened):
            raise ConnectionRefusedError("SMTP server down")
        await super().notify(event)


async def test_dead_letters_are_listed_and_put_back(cli: Run, tmp_path: Path, expect_logged_errors: Any) -> None:
    expect_logged_errors(r"kept as a dead letter")
    engine = build_engine(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    await upgrade(engine)
    clock = FakeClock()
    desk = Desk(db=SqlDatabase(engine), clock=clock, consumers=["email"])
    email = Down(clock)
    dispatcher = Dispatcher(desk.db, [email], clock=clock, dead_after=timedelta(hours=24), rng=random.Random(3))
    ticket = await desk.create_ticket(subject="Mail me", requester=Actor("api", "u1", email="u1@example.com"))
    for _ in range(30):  # a day and a half of failures
        await dispatcher.drain()
        clock.advance(hours=1)

    dead = json.loads(cli("outbox", "list", "--dead", "--json").stdout)
    assert dead["total"] == 1
    row = dead["items"][0]
    assert (row["consumer"], row["event"], row["ticket_id"]) == ("email", "ticket_opened", ticket.id)
    assert row["last_error"] == "ConnectionRefusedError: SMTP server down" and row["dead_at"]
    text = cli("outbox", "list", "--dead").stdout
    assert f"#{row['id']}  email  ticket_opened  {ticket.id}  dead since" in text
    assert "ConnectionRefusedError: SMTP server down" in text and "ticketbot outbox retry" in text
    assert "Nothing waiting" in cli("outbox", "list").stdout  # a dead letter is not in the backlog

    missing = cli("outbox", "retry", "99999", code=1)
    assert missing.stderr == "error: no outbox row 99999: it was delivered already, or never queued\n"
    both = cli("outbox", "retry", str(row["id"]), "--all-dead", "--json", code=2)
    assert json.loads(both.stderr)["error"]["code"] == "usage"
    cli("outbox", "retry", code=2)

    retried = json.loads(cli("outbox", "retry", "--all-dead", "--json").stdout)
    assert retried == {"retried": [row["id"]]}
    backlog = json.loads(cli("outbox", "list", "--json").stdout)
    assert [(r["id"], r["attempts"], r["dead_at"]) for r in backlog["items"]] == [(row["id"], 0, None)]
    assert "No dead letters to put back." in cli("outbox", "retry", "--all-dead").stdout

    email.down = False
    await Dispatcher(desk.db, [email], clock=SystemClock()).drain()  # the CLI put it back at the real time
    assert [type(e) for e in email.events] == [TicketOpened]
    assert "Nothing waiting" in cli("outbox", "list").stdout
    await engine.dispose()


def test_digest_dry_run_writes_the_chart_here_and_posts_nothing(cli: Run, tmp_path: Path) -> None:
    env = {**SLACK, "TICKETBOT_DIGEST__SLACK_CHANNEL": "C0DIGEST"}
    cli("ticket", "create", "--user", "u1", "--subject", "Printer on fire", "--priority", "urgent", extra_env=env)
    out = cli("digest", "--dry-run", extra_env=env).stdout
    charts = list(tmp_path.glob("digest-*.png"))
    assert len(charts) == 1 and charts[0].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert out.startswith("Daily digest for ") and "Printer on fire" in out and f"Chart: {charts[0]}" in out
    shown = json.loads(cli("digest", "--dry-run", "--json", extra_env=env).stdout)
    assert shown["chart"] == str(charts[0]) and shown["text"].startswith("Daily digest for ")
    queued = json.loads(cli("outbox", "list", "--json").stdout)["items"]
    assert [r["event"] for r in queued] == ["ticket_opened"], "a dry run queues no digest"


def test_digest_now_queues_it_for_every_digest_channel(cli: Run) -> None:
    env = {**SLACK, "TICKETBOT_DIGEST__SLACK_CHANNEL": "C0DIGEST", "TICKETBOT_DIGEST__TIME": "7:30",
           "TICKETBOT_DIGEST__TIMEZONE": "Europe/Berlin"}  # fmt: skip
    schedule = cli("digest", extra_env=env).stdout
    assert "The digest posts daily at 07:30 (Europe/Berlin) to slack C0DIGEST." in schedule
    queued = json.loads(cli("digest", "--now", "--json", extra_env=env).stdout)
    assert [(q["consumer"], q["channel"]) for q in queued["queued"]] == [("slack", "C0DIGEST")]
    assert "Queued the digest for " in cli("digest", "--now", extra_env=env).stdout
    rows = json.loads(cli("outbox", "list", "--json").stdout)["items"]
    assert [(r["consumer"], r["event"], r["ticket_id"]) for r in rows] == [("slack", "digest_due", "digest")] * 2


def test_digest_refusals_are_one_line(cli: Run) -> None:
    none = cli("digest", "--now", "--json", code=2)
    error = json.loads(none.stderr)["error"]
    assert error["code"] == "not_configured" and "TICKETBOT_DIGEST__SLACK_CHANNEL" in error["message"]
    both = cli("digest", "--now", "--dry-run", code=2)
    assert both.stderr == "error: give --now or --dry-run, not both\n"
    # a Slack digest channel without Slack switched on is no channel
    unused = cli("digest", "--now", code=2, extra_env={"TICKETBOT_DIGEST__SLACK_CHANNEL": "C0DIGEST"})
    assert unused.stderr.count("\n") == 1 and "Traceback" not in unused.stderr
