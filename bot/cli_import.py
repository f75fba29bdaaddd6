"""``ticketbot import FILE``: tickets from another help desk (or another ticketbot), all or nothing.

The file holds one JSON object per line in the shape ``ticketbot ticket show --json`` prints —
``{"ticket": {...}, "messages": [...]}`` (``jq -c`` makes a line of it) — with the timestamps kept. A ticket
without an ``id`` gets a new one; one with an id keeps it (it must be free). The whole file is one
transaction: any bad line — each is reported with its number — and nothing is imported. ``--dry-run``
checks everything, the database included, and writes nothing. Imported tickets notify nobody (no outbox
events) and count in the statistics and search at once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson
import typer

from bot.cli import JSON, OPERATOR, Failure, _dumps, _run, app
from core import render
from core.errors import InvalidInput
from core.ids import normalize_ticket_id
from core.model import Actor, Attachment, Priority, Role, Status, Ticket, clean_body, clean_email, clean_subject
from core.storage.imported import ImportedMessage

BATCH = 1000  # tickets per multi-row statement
ERRORS_SHOWN = 50  # bad lines listed; the count covers them all
REASON_MAX = 500
_OUTPUT_ONLY = {"version", "sla_state"}  # what ``ticket show --json`` prints but an import does not take
_TICKET_KEYS = {
    "id", "subject", "category", "priority", "status", "requester", "created_at", "updated_at", "assignee",
    "first_response_at", "closed_at", "reopened_at", "waiting_since", "sla_due_at", "sla_breached", "rating",
    "reopened_from", "close_reason",
} | _OUTPUT_ONLY  # fmt: skip
_MESSAGE_KEYS = {"id", "ticket_id", "author", "role", "body", "created_at", "internal", "attachments"}
_PERSON_KEYS = {"platform", "user_id", "name", "email", "is_staff"}
_TIMES = ("updated_at", "first_response_at", "closed_at", "reopened_at", "waiting_since", "sla_due_at")


class LineError(Exception):
    """What is wrong with one line, said for the person who wrote the file."""


@dataclass
class Outcome:
    lines: int = 0
    tickets: int = 0
    messages: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    bad_lines: int = 0

    def fail(self, number: int, message: str) -> None:
        self.bad_lines += 1
        if len(self.errors) < ERRORS_SHOWN:
            self.errors.append((number, message))


class _Rollback(Exception):
    """Raised at the end of a dry run or a file with errors: the transaction then writes nothing."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__("rolled back")
        self.outcome = outcome


# ------------------------------------------------------------------------------------------ one line
# Checked field by field with plain lookups: an import reads tens of thousands of lines a second.
_STATUSES = {s.value.lower(): s for s in Status}
_PRIORITIES = {p.value.lower(): p for p in Priority}
_ROLES = {r.value.lower(): r.value for r in Role}


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LineError(f"{where} must be an object")
    return value


def _text(value: Any, where: str, *, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise LineError(f"{where} is required")
        return None
    if not isinstance(value, str):
        raise LineError(f"{where} must be a string")
    return value


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except TypeError:
        raise LineError(f"{where} must be an ISO 8601 time string") from None
    except ValueError:
        raise LineError(f"{where} {value[:40]!r} is not an ISO 8601 time (like 2026-11-01T09:30:00+00:00)") from None
    if moment.tzinfo is None:
        raise LineError(f"{where} {value[:40]!r} needs a timezone (like 2026-11-01T09:30:00+00:00 or …Z)")
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _required_time(value: Any, where: str) -> datetime:
    moment = _time(value, where)
    if moment is None:
        raise LineError(f"{where} is required")
    return moment


def _unknown(obj: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = obj.keys() - allowed
    if extra:
        names = ", ".join(map(repr, sorted(extra)))
        raise LineError(f"{where} has unknown field{'s' if len(extra) > 1 else ''} {names}")


def _person(value: Any, where: str) -> tuple[str, str, str]:
    """``(platform, user_id, name)`` of a requester, assignee or author."""
    obj = _object(value, where)
    _unknown(obj, _PERSON_KEYS, where)
    platform, user_id, name = obj.get("platform"), obj.get("user_id"), obj.get("name") or ""
    if type(platform) is not str or type(user_id) is not str or type(name) is not str:
        _text(platform, f"{where}.platform")
        _text(user_id, f"{where}.user_id")
        raise LineError(f"{where}.name must be a string")
    if not platform or not user_id:
        raise LineError(f"{where}.{'platform' if not platform else 'user_id'} is required")
    if len(platform) > 16 or len(user_id) > 64 or len(name) > 120:
        raise LineError(f"{where}: platform, user_id or name is too long (16, 64 and 120 characters at most)")
    return platform, user_id, name


def _lookup(table: dict[str, Any], value: Any, where: str, default: Any, kind: str) -> Any:
    if value is None:
        return default
    if not isinstance(value, str):
        raise LineError(f"{where} must be a string")
    found = table.get(value.strip().lower())
    if found is None:
        choices = ", ".join(str(getattr(v, "value", v)) for v in table.values())
        raise LineError(f"{where}: unknown {kind} {value!r}; choose one of {choices}")
    return found


def _cleaned(clean: Callable[[str], str | None], value: Any, where: str) -> Any:
    try:
        return clean(value)
    except InvalidInput as exc:
        raise LineError(f"{where}: {exc}") from None


def _ticket_id(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise LineError(f"{where} must be a string")
    return str(_cleaned(normalize_ticket_id, value, where))


def parse_line(data: Any, categories: dict[str, str]) -> tuple[Ticket, list[ImportedMessage]]:
    """One line's ticket and thread (the id is ``""`` when the line gives none), or ``LineError``.
    ``categories`` maps each configured category, lower-cased, to its name."""
    line = _object(data, "the line")
    _unknown(line, {"ticket", "messages"}, "the line")
    raw = _object(line.get("ticket"), "ticket")
    _unknown(raw, _TICKET_KEYS, "ticket")
    tid = "" if raw.get("id") is None else _ticket_id(raw["id"], "ticket.id")
    platform, user_id, name = _person(raw.get("requester"), "ticket.requester")
    email = _text(raw["requester"].get("email"), "ticket.requester.email", required=False)
    requester = Actor(
        platform, user_id, name, _cleaned(clean_email, email, "ticket.requester.email") if email else None
    )
    created = _required_time(raw.get("created_at"), "ticket.created_at")
    times = {name: _time(raw.get(name), f"ticket.{name}") for name in _TIMES}
    status = _lookup(_STATUSES, raw.get("status"), "ticket.status", Status.OPEN, "status")
    rating = raw.get("rating")
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5):
        raise LineError("ticket.rating must be a whole number from 1 to 5")
    breached = raw.get("sla_breached", False)
    if not isinstance(breached, bool):
        raise LineError("ticket.sla_breached must be true or false")
    reason = _text(raw.get("close_reason"), "ticket.close_reason", required=False)
    if reason and len(reason) > REASON_MAX:
        raise LineError(f"ticket.close_reason is {len(reason)} characters; at most {REASON_MAX} are allowed")
    reopened_from = raw.get("reopened_from")
    if reopened_from is not None:
        reopened_from = _ticket_id(reopened_from, "ticket.reopened_from")
    assignee = None if raw.get("assignee") is None else Actor(*_person(raw["assignee"], "ticket.assignee"))
    thread = [_message(m, n) for n, m in enumerate(_list(line.get("messages")), 1)]
    for field_name in ("first_response_at", "closed_at"):
        moment = times[field_name]
        if moment is not None and moment < created:
            raise LineError(f"ticket.{field_name} is before ticket.created_at")
    if status is Status.CLOSED and times["closed_at"] is None:
        raise LineError("ticket.closed_at is required for a Closed ticket")
    if status is not Status.CLOSED and (times["closed_at"] or reason):
        raise LineError(f"ticket.closed_at or close_reason is set but the ticket is {status.value}")
    if status is not Status.OPEN and (times["sla_due_at"] or times["waiting_since"]):
        raise LineError(f"ticket.sla_due_at or waiting_since is set but the ticket is {status.value} (the SLA clock "
                        "runs only while a ticket is Open)")  # fmt: skip
    updated = times["updated_at"]
    if updated is None:  # the last thing that happened to it
        events = [times[n] for n in ("first_response_at", "closed_at", "reopened_at", "waiting_since")]
        updated = max([created, *(t for t in events if t is not None), *(m.created_at for m in thread)])
    ticket = Ticket(
        id=tid,
        subject=_cleaned(clean_subject, raw.get("subject"), "ticket.subject"),
        category=_lookup(
            categories, raw.get("category"), "ticket.category", next(iter(categories.values())), "category"
        ),  # fmt: skip
        priority=_lookup(_PRIORITIES, raw.get("priority"), "ticket.priority", Priority.MEDIUM, "priority"),
        status=status,
        requester=requester,
        created_at=created,
        updated_at=updated,
        assignee=assignee,
        first_response_at=times["first_response_at"],
        closed_at=times["closed_at"],
        reopened_at=times["reopened_at"],
        waiting_since=times["waiting_since"],
        sla_due_at=times["sla_due_at"],
        sla_breached=breached,
        rating=rating,
        reopened_from=reopened_from,
        close_reason=reason,
    )
    return ticket, thread


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise LineError("messages must be a list")
    return value


def _message(value: Any, n: int) -> ImportedMessage:
    where = f"messages[{n}]"
    obj = _object(value, where)
    _unknown(obj, _MESSAGE_KEYS, where)
    files = obj.get("attachments")
    attachments = []
    if files:
        if not isinstance(files, list):
            raise LineError(f"{where}.attachments must be a list")
        attachments = [_attachment(a, f"{where}.attachments[{i}]") for i, a in enumerate(files, 1)]
    body = obj.get("body", "")
    if type(body) is not str:
        raise LineError(f"{where}.body must be a string")
    internal = obj.get("internal", False)
    if type(internal) is not bool:
        raise LineError(f"{where}.internal must be true or false")
    role = obj.get("role")
    if role is None:
        raise LineError(f"{where}.role is required (requester or staff)")
    try:
        body = clean_body(body, required=not attachments)
    except InvalidInput as exc:
        raise LineError(f"{where}.body: {exc}") from None
    platform, user_id, name = _person(obj.get("author"), f"{where}.author")
    return ImportedMessage(
        platform, user_id, name, _lookup(_ROLES, role, f"{where}.role", None, "role"), body, internal, attachments,
        _required_time(obj.get("created_at"), f"{where}.created_at"),
    )  # fmt: skip


def _attachment(value: Any, where: str) -> dict[str, object]:
    obj = _object(value, where)
    _unknown(obj, {"name", "url", "size", "content_type"}, where)
    name = _text(obj.get("name"), f"{where}.name")
    size = obj.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise LineError(f"{where}.size must be a whole number of bytes")
    url = _text(obj.get("url"), f"{where}.url", required=False) or ""
    kind = _text(obj.get("content_type"), f"{where}.content_type", required=False)
    return Attachment(name=str(name), url=url, size=size, content_type=kind).to_dict()


# ------------------------------------------------------------------------------------------ the file
Parsed = list[tuple[int, Ticket | LineError, list[ImportedMessage]]]


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)  # several times faster than json
    except orjson.JSONDecodeError:
        pass
    try:  # json says better what is wrong, and takes lone surrogates (which repair() mends)
        return json.loads(raw)
    except UnicodeDecodeError:
        raise LineError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise LineError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None


def parse_next(lines: Iterator[tuple[int, bytes]], categories: dict[str, str]) -> Parsed:
    """The next ``BATCH`` non-blank lines, parsed and checked: each a ticket and its thread, or its error."""
    out: Parsed = []
    for number, raw in lines:
        if not raw.strip():
            continue
        try:
            ticket, thread = parse_line(_json(raw), categories)
            out.append((number, ticket, thread))
        except LineError as exc:
            out.append((number, exc, []))
        if len(out) >= BATCH:
            break
    return out


def import_lines(
    uow: Any, stream: Iterable[bytes], *, categories: Sequence[str], new_id: Callable[[], str], dry_run: bool,
    now: datetime,
) -> Outcome:  # fmt: skip
    """The import's unit of work (one transaction): parse, check and write in batches. Raises ``_Rollback``
    with the outcome when there were errors or it is a dry run, so the transaction keeps nothing.

    A second thread parses the next batch while this one writes the last: SQLite works without holding
    Python's lock, so the parsing of one batch and the writing of the other overlap.
    """
    outcome = Outcome()
    given: dict[str, int] = {}  # ids in this file: the line that gave each (negative: drawn for that line)
    by_name = {c.lower(): c for c in categories}
    lines = enumerate(stream, 1)

    def check(parsed: Parsed) -> list[tuple[int, Ticket, list[ImportedMessage]]]:
        batch = []
        for number, ticket, thread in parsed:
            outcome.lines += 1
            if isinstance(ticket, LineError):
                outcome.fail(number, str(ticket))
            elif given.get(ticket.id, 0) > 0:
                outcome.fail(number, f"ticket {ticket.id} is on line {given[ticket.id]} already")
            elif ticket.id in given:
                outcome.fail(number, f"ticket {ticket.id} was given to line {-given[ticket.id]} (which had no id)")
            else:
                if ticket.id:
                    given[ticket.id] = number
                outcome.tickets += 1
                outcome.messages += len(thread)
                batch.append((number, ticket, thread))
        return batch

    def write(batch: list[tuple[int, Ticket, list[ImportedMessage]]]) -> None:
        taken = uow.imports.existing_ids(t.id for _, t, _ in batch if t.id)
        for number, t, _ in batch:
            if t.id in taken:
                outcome.fail(number, f"ticket {t.id} already exists")
        fresh = [(number, t) for number, t, _ in batch if not t.id]
        while fresh:  # draw new ids; draw again for any taken (in the database or in this file)
            for _, t in fresh:
                t.id = new_id()
            taken = uow.imports.existing_ids(t.id for _, t in fresh)
            again = []
            for number, t in fresh:
                if t.id in taken or t.id in given:
                    again.append((number, t))
                else:
                    given[t.id] = -number
            fresh = again
        if not outcome.bad_lines:
            uow.imports.insert([(t, thread) for _, t, thread in batch], by=OPERATOR, at=now)

    with ThreadPoolExecutor(1, thread_name_prefix="ticketbot-import") as parser:
        upcoming = parser.submit(parse_next, lines, by_name)
        while parsed := upcoming.result():
            upcoming = parser.submit(parse_next, lines, by_name)
            write(check(parsed))
    if outcome.bad_lines or dry_run:
        raise _Rollback(outcome)
    return outcome


# ------------------------------------------------------------------------------------------ the command
@app.command("import")
def import_tickets(
    file: Path = typer.Argument(..., help="JSON lines (`ticket show --json`, one per line); - for stdin."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every line (and the database) but write nothing."),
    as_json: bool = JSON,
) -> None:  # fmt: skip
    """Import tickets with their messages, all or nothing (e.g. from another help desk)."""
    stream = _open(file)
    now = datetime.now(UTC)

    async def work(rt: Any) -> Outcome:
        def unit(uow: Any) -> Outcome:
            return import_lines(uow, stream, categories=rt.desk.categories, new_id=rt.desk.ids,
                                dry_run=dry_run, now=now)  # fmt: skip

        try:
            result: Outcome = await rt.db.write(unit)
        except _Rollback as rolled_back:
            return rolled_back.outcome
        return result

    try:
        outcome = _run(work)
    finally:
        stream.close()
    if outcome.bad_lines:
        _fail_lines(outcome, as_json)
    counts = {"tickets": outcome.tickets, "messages": outcome.messages, "dry_run": dry_run}
    if as_json:
        typer.echo(_dumps({"imported": 0 if dry_run else outcome.tickets, **counts}))
        return
    what = f"{outcome.tickets} ticket{'s' if outcome.tickets != 1 else ''} ({outcome.messages} messages)"
    typer.echo(f"would import {what}; nothing was written (--dry-run)" if dry_run else f"imported {what}")


def _open(file: Path) -> IO[bytes]:
    if str(file) == "-":
        return sys.stdin.buffer
    try:
        return file.open("rb")
    except OSError as exc:
        raise Failure(f"cannot read {file}: {exc.strerror or exc}", "file_unreadable", 2) from None


def _fail_lines(outcome: Outcome, as_json: bool) -> None:
    summary = (
        f"{outcome.bad_lines} of {outcome.lines} line{'s' if outcome.lines != 1 else ''} "
        f"{'has' if outcome.bad_lines == 1 else 'have'} errors; nothing was imported"
    )
    if as_json:
        lines = [{"line": n, "message": render.printable(m)} for n, m in outcome.errors]
        typer.echo(json.dumps({"error": {"code": "invalid_input", "message": summary, "lines": lines}}), err=True)
    else:
        for n, m in outcome.errors:
            typer.echo(f"line {n}: {' '.join(render.printable(m).split())}", err=True)
        if outcome.bad_lines > len(outcome.errors):
            typer.echo(f"… and {outcome.bad_lines - len(outcome.errors)} more lines with errors", err=True)
        typer.echo(f"error: {summary}", err=True)
    raise typer.Exit(1)
