"""Fixtures: an SMTP server on a free loopback port, and the email notifier on the outbox of the real desk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.email.notifier import EmailNotifier
from adapters.email.settings import SmtpSettings
from core.desk import Desk
from core.outbox import Dispatcher
from tests.e2e.email.smtp import Inbox, free_port, start_server
from tests.fakes.clock import FakeClock


@dataclass
class Server:
    inbox: Inbox
    port: int


@pytest.fixture
def smtp() -> Iterator[Server]:
    inbox, port = Inbox(), free_port()
    controller = start_server(inbox, port)
    yield Server(inbox, port)
    controller.stop()


def smtp_settings(port: int, **overrides: Any) -> SmtpSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "from": "Support Desk <support@example.com>",
        "reply_to": "help@example.com",
    }
    values.update(overrides)
    return SmtpSettings(**values)


@dataclass
class Mail:
    desk: Desk
    notifier: EmailNotifier
    dispatcher: Dispatcher
    inbox: Inbox

    async def deliver(self) -> int:
        """Run the outbox until nothing is due; how many events the notifier took."""
        return await self.dispatcher.drain()

    async def pending(self) -> int:
        return await self.desk.db.read(lambda uow: uow.outbox.pending("email"))


@pytest.fixture
def mail(desk: Desk, clock: FakeClock, smtp: Server) -> Mail:
    notifier = EmailNotifier(desk.queries, smtp_settings(smtp.port), clock=clock)
    desk.consumers.append(notifier.name)
    return Mail(desk, notifier, Dispatcher(desk.db, [notifier], clock=clock), smtp.inbox)
