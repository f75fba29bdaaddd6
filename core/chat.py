"""The ``/ticket …`` grammar every text adapter shares (console, Slack): text → a ``core.commands`` command.

``parse_command`` never raises anything but ``InvalidInput`` (with the usage of the command that was meant)
and returns ``Help`` for ``help`` and an empty line. Quotes are optional and never unbalanced-fatal: a name
like ``O'Brien`` or ``"ann`` is taken as typed. In ``new``, ``category:`` and ``priority:`` are options only
when their value is valid; otherwise they are words of the subject.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.commands import (
    OPEN_STATUSES,
    AddNote,
    Assign,
    ChangeStatus,
    Claim,
    Close,
    Command,
    ListTickets,
    OpenTicket,
    Rate,
    Reopen,
    Reply,
    Search,
    SetCategory,
    SetPriority,
    ShowHistory,
    ShowStats,
    ShowTicket,
    UserRef,
)
from core.errors import InvalidInput
from core.ids import normalize_ticket_id
from core.model import DEFAULT_CATEGORIES, Priority, Status

PAGE_SIZE = 20

USAGE: dict[str, str] = {
    "new": "new <subject> [| <description>] [category:<name>] [priority:<level>]",
    "list": "list [open|pending|closed|all] [mine] [page <n>]",
    "show": "show <id>",
    "search": "search <query> [page:<n>]   e.g. search login error status:open priority:high,urgent",
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
_OPTION = re.compile(r"(?i)(?<!\S)(category|priority):(\"[^\"]*\"|'[^']*'|\S+)")
_PAGE_WORDS = re.compile(r"(?i)(?:^|\s)page(?::|\s+)(\S+)\s*$")
_LIST_STATUSES = {"open": (Status.OPEN,), "pending": (Status.PENDING,), "closed": (Status.CLOSED,)}


@dataclass(frozen=True)
class Help:
    """Show the commands; ``problem`` says what was wrong with the line, when something was."""

    problem: str | None = None


def help_text(prefix: str = "/ticket") -> str:
    return "Commands:\n" + "\n".join(f"  {prefix} {usage}" for usage in USAGE.values())


def usage(verb: str, prefix: str = "/ticket") -> str:
    return f"usage: {prefix} {USAGE[verb]}"


def parse_command(text: str, *, categories: Sequence[str] = DEFAULT_CATEGORIES) -> Command | Help:
    """Parse the words after ``/ticket`` into a command (or ``Help``).

    Raises:
        InvalidInput: the line names a command but not in a form it takes; the message gives its usage.
    """
    words = (text or "").strip()
    if not words:
        return Help()
    verb, _, rest = words.partition(" ")
    verb = verb.lower()
    rest = rest.strip()
    if verb not in USAGE:
        return Help(problem=f"unknown command {_quote(verb)}")
    try:
        return _PARSERS[verb](rest, categories)
    except InvalidInput as exc:
        message = str(exc)
        hint = usage(verb)
        raise InvalidInput(hint if message == hint else f"{message}; {hint}") from None


def _quote(text: str, limit: int = 30) -> str:
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def _unquote(text: str) -> str:
    """Drop one pair of matching quotes around ``text``; anything else is kept as typed."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


def _id_and_rest(rest: str, verb: str, *, needs_text: bool) -> tuple[str, str]:
    first, _, tail = rest.partition(" ")
    if not first:
        raise InvalidInput(usage(verb))
    ticket_id = normalize_ticket_id(first)
    tail = tail.strip()
    if needs_text and not tail:
        raise InvalidInput(usage(verb))
    return ticket_id, tail


def _page(text: str, verb: str) -> tuple[str, int]:
    """Split a trailing ``page N`` / ``page:N`` off ``text``; the offset of that page."""
    match = _PAGE_WORDS.search(text)
    if not match:
        return text, 0
    number = match.group(1)
    if not re.fullmatch(r"[0-9]{1,6}", number) or int(number) < 1:
        raise InvalidInput(f"{_quote(number)} is not a page number")
    return text[: match.start()].strip(), (int(number) - 1) * PAGE_SIZE


def _new(rest: str, categories: Sequence[str]) -> Command:
    options: dict[str, str] = {}

    def take(match: re.Match[str]) -> str:
        name, value = match.group(1).lower(), _unquote(match.group(2))
        valid = _valid_priority(value) if name == "priority" else _valid_category(value, categories)
        if not valid or name in options:
            return match.group(0)  # not an option: a word of the subject
        options[name] = value
        return " "

    rest = _OPTION.sub(take, rest)
    subject, _, description = rest.partition("|")
    subject = " ".join(subject.split())
    if not subject:
        raise InvalidInput(usage("new"))
    return OpenTicket(subject, description.strip(), options.get("category"), options.get("priority"))


def _valid_priority(value: str) -> bool:
    return value.lower() in {p.value.lower() for p in Priority}


def _valid_category(value: str, categories: Sequence[str]) -> bool:
    return value.lower() in {c.lower() for c in categories}


def _list(rest: str, _: Sequence[str]) -> Command:
    rest, offset = _page(rest, "list")
    words = rest.lower().split()
    unknown = [w for w in words if w not in ("all", "mine", *_LIST_STATUSES)]
    if unknown:
        raise InvalidInput(f"{_quote(unknown[0])} is not a list filter")
    statuses: tuple[Status, ...] = OPEN_STATUSES
    if "all" in words:
        statuses = tuple(Status)
    for word in words:
        if word in _LIST_STATUSES:
            statuses = _LIST_STATUSES[word]
    return ListTickets(statuses, "mine" in words, PAGE_SIZE, offset)


def _search(rest: str, _: Sequence[str]) -> Command:
    query, offset = _page(rest, "search") if re.search(r"(?i)(?:^|\s)page:\d+\s*$", rest) else (rest, 0)
    if not query:
        raise InvalidInput(usage("search"))
    return Search(query, PAGE_SIZE, offset)


def _rate(rest: str, _: Sequence[str]) -> Command:
    ticket_id, text = _id_and_rest(rest, "rate", needs_text=True)
    if not re.fullmatch(r"[1-5]", text):
        raise InvalidInput("a rating is a whole number from 1 to 5")
    return Rate(ticket_id, int(text))


Parser = Callable[[str, Sequence[str]], "Command | Help"]


def _with_id(verb: str) -> Parser:
    def parse(rest: str, _: Sequence[str]) -> Command:
        ticket_id, text = _id_and_rest(rest, verb, needs_text=verb in _NEEDS_TEXT)
        return _ID_COMMANDS[verb](ticket_id, text)

    return parse


_NEEDS_TEXT = frozenset({"assign", "priority", "category", "status", "reply", "note"})
_ID_COMMANDS: dict[str, Callable[[str, str], Command]] = {
    "show": lambda tid, _: ShowTicket(tid),
    "history": lambda tid, _: ShowHistory(tid),
    "close": lambda tid, text: Close(tid, text or None),
    "reopen": lambda tid, _: Reopen(tid),
    "claim": lambda tid, _: Claim(tid),
    "assign": lambda tid, text: Assign(tid, UserRef(_unquote(text))),
    "priority": lambda tid, text: SetPriority(tid, _unquote(text)),
    "category": lambda tid, text: SetCategory(tid, _unquote(text)),
    "status": lambda tid, text: ChangeStatus(tid, _unquote(text)),
    "reply": lambda tid, text: Reply(tid, text),
    "note": lambda tid, text: AddNote(tid, text),
}
_PARSERS: dict[str, Parser] = {
    "new": _new,
    "list": _list,
    "search": _search,
    "stats": lambda rest, _: ShowStats(),
    "help": lambda rest, _: Help(),
    "rate": _rate,
    **{verb: _with_id(verb) for verb in _ID_COMMANDS},
}
