"""The ``/ticket …`` grammar every chat adapter shares (console, Slack; Discord uses slash options).

``parse_command`` turns text into a ``ChatCommand``; ``run_command`` carries it out on the desk and returns
a ``CommandResult`` holding core objects, which each adapter renders in its own way.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core.desk import Desk
from core.errors import InvalidInput
from core.ids import normalize_ticket_id
from core.model import Actor

Resolver = Callable[[str], Awaitable[Actor | None]]

USAGE: dict[str, str] = {
    "new": "new <subject> [| <description>] [category:<name>] [priority:<level>]",
    "list": "list [open|pending|closed|all] [mine]",
    "show": "show <id>",
    "search": "search <query>   e.g. search login error status:open priority:high,urgent",
    "stats": "stats",
    "close": "close <id> [reason]",
    "reopen": "reopen <id>",
    "claim": "claim <id>",
    "assign": "assign <id> <user|me|none>",
    "priority": "priority <id> <low|medium|high|urgent>",
    "category": "category <id> <name>",
    "status": "status <id> <open|pending|closed>",
    "reply": "reply <id> <message>",
    "note": "note <id> <internal note>",
    "rate": "rate <id> <1-5>",
    "history": "history <id>",
    "help": "help",
}
STAFF_ONLY = frozenset({"stats", "claim", "assign", "priority", "category", "status", "note"})
_NEEDS_ID = frozenset(USAGE) - {"new", "list", "search", "stats", "help"}
_NEEDS_TEXT = frozenset({"assign", "priority", "category", "status", "reply", "note", "rate"})
_OPTION = re.compile(r"(?i)(?:^|\s)(category|priority):(\"[^\"]*\"|\S+)")


def help_text(prefix: str = "/ticket") -> str:
    return "Commands:\n" + "\n".join(f"  {prefix} {usage}" for usage in USAGE.values())


@dataclass(frozen=True)
class ChatCommand:
    verb: str
    ticket_id: str | None = None
    text: str = ""
    options: dict[str, str] = field(default_factory=dict)


def parse_command(text: str) -> ChatCommand:
    """Parse the words after ``/ticket``. Bad input raises ``InvalidInput`` naming the right usage."""
    words = (text or "").strip()
    if not words:
        return ChatCommand("help")
    verb, _, rest = words.partition(" ")
    verb = verb.lower()
    rest = rest.strip()
    if verb not in USAGE:
        raise InvalidInput(f"unknown command {verb[:30]!r}. {help_text()}")
    usage = f"usage: /ticket {USAGE[verb]}"
    if verb == "new":
        return _parse_new(rest, usage)
    if verb == "list":
        return ChatCommand("list", text=rest.lower())
    if verb in ("search", "help", "stats"):
        return ChatCommand(verb, text=rest)
    first, _, tail = rest.partition(" ")
    if verb in _NEEDS_ID and not first:
        raise InvalidInput(usage)
    try:
        ticket_id = normalize_ticket_id(first)
    except InvalidInput as exc:
        raise InvalidInput(f"{exc}; {usage}") from None
    tail = tail.strip()
    if verb in _NEEDS_TEXT and not tail:
        raise InvalidInput(usage)
    return ChatCommand(verb, ticket_id=ticket_id, text=tail)


def _parse_new(rest: str, usage: str) -> ChatCommand:
    options: dict[str, str] = {}
    for match in _OPTION.finditer(rest):
        options[match.group(1).lower()] = match.group(2).strip('"')
    rest = _OPTION.sub(" ", rest).strip()
    subject, _, description = rest.partition("|")
    if not subject.strip():
        raise InvalidInput(usage)
    return ChatCommand("new", text=subject.strip(), options={**options, "description": description.strip()})


@dataclass
class CommandResult:
    """What a command produced; ``kind`` tells the adapter how to render ``value``."""

    kind: str  # ticket | tickets | page | stats | message | history | help
    value: Any = None
    note: str = ""


async def run_command(desk: Desk, actor: Actor, cmd: ChatCommand, resolve: Resolver | None = None) -> CommandResult:
    """Carry out ``cmd`` for ``actor``. ``resolve`` maps a user reference (``@ann``, an id) to an Actor."""
    v, tid = cmd.verb, cmd.ticket_id or ""
    if v == "help":
        return CommandResult("help", help_text())
    if v == "new":
        ticket = await desk.create_ticket(
            subject=cmd.text,
            message=cmd.options.get("description", ""),
            category=cmd.options.get("category"),
            priority=cmd.options.get("priority"),
            requester=actor,
        )
        return CommandResult("ticket", ticket, note=f"Opened {ticket.id}")
    if v == "list":
        words = set(cmd.text.split())
        status: Any = None
        if "all" in words:
            status = ["Open", "Pending", "Closed"]
        for s in ("open", "pending", "closed"):
            if s in words:
                status = s
        unknown = words - {"all", "mine", "open", "pending", "closed"}
        if unknown:
            raise InvalidInput(f"usage: /ticket {USAGE['list']}")
        return CommandResult("tickets", await desk.list_tickets(actor=actor, status=status, mine="mine" in words))
    if v == "search":
        return CommandResult("page", await desk.search(query=cmd.text, actor=actor))
    if v == "stats":
        return CommandResult("stats", await desk.stats(actor=actor))
    if v == "show":
        ticket = await desk.get_ticket(ticket_id=tid, actor=actor)
        return CommandResult("ticket", ticket, note="")
    if v == "history":
        return CommandResult("history", await desk.history(ticket_id=tid, actor=actor))
    if v == "close":
        return CommandResult("ticket", await desk.close_ticket(ticket_id=tid, actor=actor, reason=cmd.text or None))
    if v == "reopen":
        return CommandResult("ticket", await desk.reopen_ticket(ticket_id=tid, actor=actor))
    if v == "claim":
        return CommandResult("ticket", await desk.claim_ticket(ticket_id=tid, actor=actor))
    if v == "assign":
        return CommandResult(
            "ticket",
            await desk.assign_ticket(ticket_id=tid, actor=actor, assignee=await _who(cmd.text, actor, resolve)),
        )
    if v == "priority":
        return CommandResult("ticket", await desk.set_priority(ticket_id=tid, priority=cmd.text, actor=actor))
    if v == "category":
        return CommandResult("ticket", await desk.set_category(ticket_id=tid, category=cmd.text, actor=actor))
    if v == "status":
        return CommandResult(
            "ticket", await desk.admin_update_ticket_status(ticket_id=tid, status=cmd.text, actor=actor)
        )
    if v == "reply":
        return CommandResult("message", await desk.add_message(ticket_id=tid, actor=actor, content=cmd.text))
    if v == "note":
        return CommandResult("message", await desk.add_note(ticket_id=tid, actor=actor, content=cmd.text))
    if v == "rate":
        if not cmd.text.strip().isdigit():
            raise InvalidInput(f"usage: /ticket {USAGE['rate']}")
        return CommandResult("ticket", await desk.rate_ticket(ticket_id=tid, rating=int(cmd.text), actor=actor))
    raise InvalidInput(help_text())  # unreachable: parse_command accepts only known verbs


async def _who(text: str, actor: Actor, resolve: Resolver | None) -> Actor | None:
    ref = shlex.split(text)[0] if text.strip() else ""
    if ref.lower() == "none":
        return None
    if ref.lower() == "me":
        return actor
    found = (
        await resolve(ref) if resolve else Actor(platform=actor.platform, user_id=ref.lstrip("@"), name=ref.lstrip("@"))
    )
    if found is None:
        raise InvalidInput(f"unknown user {ref[:40]!r}")
    return found
