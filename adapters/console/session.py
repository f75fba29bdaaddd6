"""One console conversation: lines in, replies out (errbot-style ``push``/``pop`` for tests).

The console is a terminal chat with the same ``/ticket`` grammar as Slack; its own commands are whole words
(``/as``, ``/whoami``, ``/help``, ``/quit``). Everything it prints passes through ``core.render.printable``:
a subject typed on another platform can never rewrite the terminal.
"""

from __future__ import annotations

import logging
from collections import deque

from core import render, texts
from core.chat import Help, help_text, parse_command
from core.commands import Changed, Command, History, ListTickets, OpenTicket, Page, Posted, Reply, Search, Shown
from core.desk import Desk
from core.errors import TicketError
from core.events import (
    DIGEST_KEY,
    AssigneeChanged,
    CategoryChanged,
    Event,
    MessageAdded,
    PriorityChanged,
    SlaBreached,
    SlaWarning,
    StaleReminder,
    StatusChanged,
    TicketOpened,
    TicketRated,
)
from core.model import Actor
from core.stats import Stats

log = logging.getLogger(__name__)

PLATFORM = "console"
INTRO = (
    "ticketbot console — you are {who}. Type /help for help, /ticket help for ticket commands, /quit to leave.\n"
    "After /ticket new or /ticket show, plain lines are messages in that ticket."
)
CONSOLE_HELP = (
    "Console commands:\n"
    "  /as <name>          be a requester called <name>\n"
    "  /as staff <name>    be support staff called <name>\n"
    "  /whoami             who you are and which ticket plain lines go to\n"
    "  /help               this help\n"
    "  /quit               leave (Ctrl-C or Ctrl-D work too)\n" + help_text()
)
CONSOLE_COMMANDS = ("/as", "/whoami", "/help", "/ticket", "/quit", "/exit")


class ConsoleSession:
    """Holds who is typing and which ticket plain lines go to; every ticket fact lives in the desk."""

    def __init__(self, desk: Desk, actor: Actor | None = None, *, timezone: str | None = None) -> None:
        self.desk = desk
        self.actor = actor or Actor(platform=PLATFORM, user_id="you", name="you")
        self.timezone = timezone
        self.current: str | None = None
        self.outbox: deque[str] = deque()
        self.staff: dict[str, Actor] = {}  # people known as staff in this session, for /ticket assign
        self._remember(self.actor)

    # -- the test harness -------------------------------------------------------------------------
    async def push(self, line: str) -> None:
        for reply in await self.handle(line):
            self.outbox.append(reply)

    def pop(self) -> str:
        if not self.outbox:
            raise AssertionError("no reply waiting")
        return self.outbox.popleft()

    def say(self, text: str) -> None:
        self.outbox.append(render.printable(text))

    # -- the conversation ---------------------------------------------------------------------------
    async def handle(self, line: str) -> list[str]:
        """Answer one line; every answer is terminal-safe."""
        return [render.printable(reply) for reply in await self._answer(line)]

    async def _answer(self, line: str) -> list[str]:
        line = line.strip()
        if not line:
            return []
        if not line.startswith("/"):
            if self.current is None:
                return ["No ticket selected: open one with /ticket new <subject>, or pick one with /ticket show <id>."]
            return [await self._run(Reply(self.current, line))]
        word, _, rest = line.partition(" ")
        word = word.lower()
        if word == "/as":
            return [self._switch(rest.split())]
        if word == "/whoami":
            return [self._who()]
        if word == "/help":
            return [CONSOLE_HELP]
        if word == "/ticket":
            return [await self._command(rest)]
        if word in ("/quit", "/exit"):
            return ["Use /quit at the prompt to leave."]  # the terminal loop handles it before we see it
        return [f"⚠ unknown command {word[:30]!r}; try /help"]

    def _switch(self, words: list[str]) -> str:
        staff = bool(words) and words[0].lower() == "staff"
        names = words[1:] if staff else words
        if not names:
            return "usage: /as <name>  or  /as staff <name>"
        name = " ".join(names)
        self.actor = Actor(platform=PLATFORM, user_id=name.lower(), name=name, is_staff=staff)
        self._remember(self.actor)
        self.current = None
        return f"You are now {self._who_short()}."

    def _remember(self, actor: Actor) -> None:
        if actor.is_staff:
            self.staff[actor.user_id] = actor

    def _who_short(self) -> str:
        return f"{self.actor.name} ({'staff' if self.actor.is_staff else 'requester'})"

    def _who(self) -> str:
        current = f"; plain lines go to {self.current}" if self.current else ""
        return f"You are {self._who_short()}{current}."

    async def _resolve(self, ref: str) -> Actor | None:
        """A console user by name: the staff met in this session (``/as staff <name>``)."""
        return self.staff.get(ref.strip().lstrip("@").lower())

    async def _command(self, text: str) -> str:
        try:
            parsed = parse_command(text, categories=self.desk.categories)
        except TicketError as exc:
            return f"⚠ {exc}"
        if isinstance(parsed, Help):
            return f"⚠ {parsed.problem}; try /ticket help" if parsed.problem else help_text()
        return await self._run(parsed)

    async def _run(self, command: Command) -> str:
        try:
            result = await self.desk.execute(command, self.actor, resolve=self._resolve)
        except TicketError as exc:
            return f"⚠ {exc}"
        except Exception:
            log.exception("console command failed")
            return "⚠ something went wrong on our side; the details are in the log"
        return await self._render(command, result)

    async def _render(self, command: Command, result: object) -> str:
        now = self.desk.clock.now()
        if isinstance(result, Posted):
            self.current = result.ticket.id
            return render.post_words(result)
        if isinstance(result, Changed):
            self.current = result.ticket.id
            words = render.change_words(result)
            if isinstance(command, OpenTicket):
                thread = await self.desk.queries.thread(result.ticket.id, include_internal=self.actor.is_staff)
                opened = next((e for e in result.events if isinstance(e, TicketOpened)), None)
                promise = render.acknowledgement(opened) if opened is not None else None
                words += f" {promise}" if promise else ""
                return words + "\n" + texts.ticket_detail(result.ticket, thread, now, self.timezone)
            return words
        if isinstance(result, Shown):
            self.current = result.ticket.id
            return texts.ticket_detail(result.ticket, result.thread, now, self.timezone)
        if isinstance(result, Page):
            return texts.page_text(result, now, next_hint=_next_page(command))
        if isinstance(result, History):
            return texts.history_text(result.changes, now, self.timezone)
        if isinstance(result, Stats):
            return texts.stats_text(result, now)
        return str(result)


def _next_page(command: Command) -> str:
    if isinstance(command, Search):
        return f"/ticket search {command.query} page:{command.offset // command.limit + 2}"
    if isinstance(command, ListTickets):
        return f"/ticket list … page {command.offset // command.limit + 2}"
    return ""


class ConsoleNotifier:
    """Shows what others did (a staff reply, a status change…) in the terminal, as a chat would."""

    name = "console"

    def __init__(self, session: ConsoleSession) -> None:
        self.session = session

    async def notify(self, event: Event) -> None:
        me = self.session.actor
        if event.actor.same_person(me) or event.ticket_id == DIGEST_KEY:
            return  # (the digest goes to the chat platforms' channels)
        ticket = await self.session.desk.queries.find_ticket(event.ticket_id)
        if ticket is None or not (me.is_staff or ticket.is_requester(me)):
            return
        line = await self._line(event, me)
        if line:
            self.session.say(line)

    async def _line(self, event: Event, me: Actor) -> str | None:
        tid, who = event.ticket_id, render.person(event.actor, with_platform=False)
        if isinstance(event, TicketOpened):
            return f"🎫 {tid} opened by {who}" if me.is_staff else None
        if isinstance(event, MessageAdded):
            if event.internal and not me.is_staff:
                return None
            message = await self.session.desk.queries.message(event.message_id)
            return f"💬 {tid} {message.author.display} ({render.role_name(message)}): {message.body}"
        if isinstance(event, StatusChanged):
            reason = f" — {event.reason}" if event.reason else ""
            return f"🔄 {tid} is now {event.new.value} ({who}){reason}"
        if isinstance(event, PriorityChanged):
            return f"✏ {tid} priority: {event.old.value} → {event.new.value} ({who})"
        if isinstance(event, CategoryChanged):
            return f"✏ {tid} category: {event.old} → {event.new} ({who})"
        if isinstance(event, AssigneeChanged):
            return f"✏ {tid} assignee: {render.person(event.old)} → {render.person(event.new)} ({who})"
        if isinstance(event, TicketRated):
            return f"⭐ {tid} rated {event.rating}/5 by {who}" if me.is_staff else None
        if isinstance(event, SlaWarning):
            return (
                f"⏰ {tid} needs a response: due {render.when(event.due_at, self.session.timezone)}"
                if me.is_staff
                else None
            )
        if isinstance(event, SlaBreached):
            again = f" (reminder {event.repeat})" if event.repeat else ""
            late = render.duration(self.session.desk.clock.now() - event.due_at)
            return f"🚨 {tid} is overdue by {late}{again}: no response yet" if me.is_staff else None
        if isinstance(event, StaleReminder):
            closes = f"; it closes {render.when(event.closes_at, self.session.timezone)}" if event.closes_at else ""
            return f"⏳ {tid} is waiting for your answer{closes}" if not me.is_staff else None
        return None
