"""One console conversation: lines in, replies out (errbot-style ``push``/``pop`` for tests)."""

from __future__ import annotations

import logging
from collections import deque

from core import texts
from core.chat import CommandResult, parse_command, run_command
from core.desk import Desk
from core.errors import TicketError
from core.events import Event, MessageAdded, StatusChanged, TicketOpened, TicketUpdated
from core.model import Actor

log = logging.getLogger(__name__)

PLATFORM = "console"
INTRO = (
    "ticketbot console — you are {who}. Type /ticket help for commands, /as <name> to be a requester,\n"
    "/as staff <name> to be support staff, /quit to leave. After /ticket new or /ticket show, plain lines are\n"
    "messages in that ticket."
)


class ConsoleSession:
    """Holds who is typing and which ticket plain lines go to; every ticket fact lives in the desk."""

    def __init__(self, desk: Desk, actor: Actor | None = None) -> None:
        self.desk = desk
        self.actor = actor or Actor(platform=PLATFORM, user_id="you", name="you")
        self.current: str | None = None
        self.outbox: deque[str] = deque()

    # -- the test harness -------------------------------------------------------------------------
    async def push(self, line: str) -> None:
        for reply in await self.handle(line):
            self.outbox.append(reply)

    def pop(self) -> str:
        if not self.outbox:
            raise AssertionError("no reply waiting")
        return self.outbox.popleft()

    def say(self, text: str) -> None:
        self.outbox.append(text)

    # -- the conversation ---------------------------------------------------------------------------
    async def handle(self, line: str) -> list[str]:
        line = line.strip()
        if not line:
            return []
        if line.startswith("/as"):
            return [self._switch(line[3:].split())]
        if line == "/whoami":
            return [self._who()]
        if line.startswith("/ticket"):
            return [await self._command(line[len("/ticket") :])]
        if line.startswith("/"):
            return [f"unknown command {line.split()[0]!r}; try /ticket help"]
        if self.current is None:
            return ["No ticket selected: open one with /ticket new <subject>, or pick one with /ticket show <id>."]
        return [await self._guard(self._message(line))]

    def _switch(self, words: list[str]) -> str:
        staff = bool(words) and words[0].lower() == "staff"
        names = words[1:] if staff else words
        if not names:
            return "usage: /as <name>  or  /as staff <name>"
        name = " ".join(names)
        self.actor = Actor(platform=PLATFORM, user_id=name.lower(), name=name, is_staff=staff)
        self.current = None
        return f"You are now {self._who_short()}."

    def _who_short(self) -> str:
        return f"{self.actor.name} ({'staff' if self.actor.is_staff else 'requester'})"

    def _who(self) -> str:
        current = f"; current ticket {self.current}" if self.current else ""
        return f"You are {self._who_short()}{current}."

    async def _command(self, text: str) -> str:
        async def go() -> str:
            cmd = parse_command(text)
            result = await run_command(self.desk, self.actor, cmd)
            return await self._render(result)

        return await self._guard(go())

    async def _guard(self, work: object) -> str:
        try:
            return await work  # type: ignore[misc,no-any-return]
        except TicketError as exc:
            return f"⚠ {exc}"
        except Exception:
            log.exception("console command failed")
            return "⚠ something went wrong on our side; the details are in the log"

    async def _message(self, line: str) -> str:
        assert self.current is not None
        message = await self.desk.add_message(ticket_id=self.current, actor=self.actor, content=line)
        if message.ticket_id != self.current:
            self.current = message.ticket_id
            return f"That ticket was closed too long ago; your message opened {message.ticket_id}."
        return f"→ sent to {message.ticket_id}"

    async def _render(self, result: CommandResult) -> str:
        kind, value = result.kind, result.value
        if kind == "ticket":
            self.current = value.id
            thread = await self.desk.get_thread(ticket_id=value.id, actor=self.actor)
            head = f"{result.note}\n" if result.note else ""
            return head + texts.ticket_detail(value, thread)
        if kind == "tickets":
            return texts.ticket_list(value)
        if kind == "page":
            more = " (more: refine the query)" if value.has_more else ""
            return f"{value.total} found{more}\n" + texts.ticket_list(value.items, empty="Nothing matches.")
        if kind == "stats":
            return texts.stats_text(value)
        if kind == "history":
            return texts.history_text(value)
        if kind == "message":
            self.current = value.ticket_id
            return f"{'📝 note added to' if value.internal else '→ sent to'} {value.ticket_id}"
        return str(value)


class ConsoleNotifier:
    """Shows what others did (a staff reply, a status change…) in the terminal, as a chat would."""

    name = "console"

    def __init__(self, session: ConsoleSession) -> None:
        self.session = session

    async def notify(self, event: Event) -> None:
        me = self.session.actor
        if event.actor.same_person(me):
            return
        if not me.is_staff and not (await self.session.desk.load_ticket(event.ticket_id)).is_requester(me):
            return
        line = await self._line(event, me)
        if line:
            self.session.say(line)

    async def _line(self, event: Event, me: Actor) -> str | None:
        if isinstance(event, TicketOpened):
            return f"🎫 {event.ticket_id} opened by {event.actor.display}" if me.is_staff else None
        if isinstance(event, MessageAdded):
            if event.internal and not me.is_staff:
                return None
            message = await self.session.desk.get_message(event.message_id)
            tag = "note" if event.internal else event.role
            return f"💬 {event.ticket_id} {message.author.display} ({tag}): {message.body}"
        if isinstance(event, StatusChanged):
            return f"🔄 {event.ticket_id} is now {event.new} ({event.actor.display})"
        if isinstance(event, TicketUpdated):
            return f"✏ {event.ticket_id} {event.field}: {event.old or '—'} → {event.new or '—'}"
        return None
