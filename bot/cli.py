"""The ``ticketbot`` command line: everything the chat can do, for people and for scripts.

Every command takes ``--json``. Errors are one line on stderr and a non-zero exit (1: refused or not found,
2: bad usage or configuration); under ``--json`` they are ``{"error": {"code", "message"}}`` on stderr with a
stable ``code``. Text output is terminal-safe (control characters shown inert). Slack, Discord and the web
server are imported only by the commands that start them, so reading a ticket stays quick.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import os
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, NoReturn, TypeVar

import click
import typer

from bot.settings import Settings, SettingsError, load_settings, unknown_variables
from core import render, texts
from core.commands import (
    AddNote,
    Assign,
    Changed,
    ChangeStatus,
    Close,
    Command,
    History,
    ListTickets,
    OpenTicket,
    Page,
    Posted,
    Rate,
    Reopen,
    Reply,
    Search,
    SetCategory,
    SetPriority,
    ShowHistory,
    Shown,
    ShowStats,
    ShowTicket,
    UserRef,
)
from core.errors import InvalidInput, InvalidTransition, LimitReached, NotFound, NotPermitted, TicketError
from core.model import Actor, Role, Status, Ticket

T = TypeVar("T")
app = typer.Typer(
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="Support tickets that live in team chat.",
)  # fmt: skip
ticket_app = typer.Typer(no_args_is_help=True, help="Create, read and work tickets.")
app.add_typer(ticket_app, name="ticket")
log = logging.getLogger("ticketbot")

JSON = typer.Option(False, "--json", help="Print machine-readable JSON (errors too, on stderr).")
STAFF = typer.Option(None, "--staff", help="Act as this staff member (default: the operator).")
USER = typer.Option(None, "--user", help="Act as this requester (their user id).")
OPERATOR = Actor(platform="cli", user_id="operator", name="operator", is_staff=True)
PAGE_SIZE = 20
ERROR_CODES: list[tuple[type[Exception], str]] = [
    (NotFound, "not_found"),
    (NotPermitted, "not_permitted"),
    (InvalidTransition, "invalid_transition"),
    (LimitReached, "limit_reached"),
    (InvalidInput, "invalid_input"),
    (TicketError, "refused"),
]


class Failure(Exception):
    """A one-line error for the user, with its stable code and exit status."""

    def __init__(self, message: str, code: str, status: int = 1) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


# ------------------------------------------------------------------------------------------ plumbing
@functools.cache
def _settings() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise Failure(str(exc), "invalid_configuration", 2) from None
    for name in unknown_variables():
        typer.echo(f"warning: {name} is not a ticketbot setting (misspelt?); it is ignored", err=True)
    return settings


def _run(work: Callable[[Any], Awaitable[T]]) -> T:
    """Open the runtime (database, desk), run ``work(runtime)``, close it."""
    from bot.bootstrap import open_runtime

    settings = _settings()

    async def main() -> T:
        runtime = await open_runtime(settings)
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    return _guarded(main)


def _execute(command: Command, actor: Actor = OPERATOR) -> Any:
    async def work(rt: Any) -> Any:
        return await rt.desk.execute(command, actor, resolve=_resolve)

    return _run(work)


async def _resolve(ref: str) -> Actor | None:
    """``--to`` names a staff member: ``slack:U123``, ``discord:1234``, or a plain name (the CLI's own)."""
    platform, sep, user_id = ref.partition(":")
    if sep and platform in ("slack", "discord", "console", "api", "cli") and user_id:
        return Actor(platform=platform, user_id=user_id, name=user_id, is_staff=True)
    return Actor(platform="cli", user_id=ref, name=ref, is_staff=True) if ref.strip() else None


def _guarded(start: Callable[[], Awaitable[T]]) -> T:
    """Run the coroutine; what a user or operator can cause becomes a ``Failure``."""
    from bot.bootstrap import AdapterFailed

    try:
        return asyncio.run(start())  # type: ignore[arg-type]
    except TicketError as exc:
        code = next(c for cls, c in ERROR_CODES if isinstance(exc, cls))
        raise Failure(str(exc), code) from None
    except AdapterFailed as exc:
        raise Failure(str(exc), "adapter_failed") from None
    except SettingsError as exc:
        raise Failure(str(exc), "invalid_configuration", 2) from None
    except OSError as exc:
        raise Failure(f"cannot reach the database (TICKETBOT_DATABASE_URL): {exc}", "database_unreachable", 2) from None
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "asyncpg", "sqlite3", "aiosqlite")):
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise Failure(f"database error (TICKETBOT_DATABASE_URL): {first}", "database_error", 2) from None
        raise


def _actor(user: str | None, staff: str | None, *, default: Actor | None = OPERATOR) -> Actor:
    if user is not None and staff is not None:
        raise Failure("give --user or --staff, not both", "usage", 2)
    for name, value in (("--user", user), ("--staff", staff)):
        if value is not None and not value.strip():
            raise Failure(f"{name} needs a user id (it was empty)", "usage", 2)
    if staff:
        return Actor(platform="cli", user_id=staff.strip(), name=staff.strip(), is_staff=True)
    if user:
        return Actor(platform="api", user_id=user.strip(), name=user.strip())
    if default is None:
        raise Failure("give --user (the requester) or --staff", "usage", 2)
    return default


# ------------------------------------------------------------------------------------------ output
_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _jsonable(value: Any, now: datetime) -> Any:
    if isinstance(value, Ticket):
        data = _fields(value, now)
        data["sla_state"] = render.sla_state(value, now)
        return data
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = _fields(value, now)
        if "role" in data and "author" in data:  # a message: its author's side, said plainly
            data["author"]["is_staff"] = data["role"] == Role.STAFF.value
        return data
    if isinstance(value, dict):
        return {str(k): _jsonable(v, now) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, now) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    return value


def _fields(value: Any, now: datetime) -> dict[str, Any]:
    return {f.name: _jsonable(getattr(value, f.name), now) for f in dataclasses.fields(value) if f.name != "events"}


def _dumps(value: Any) -> str:
    """JSON with every control character escaped (C0 by json itself, C1 and bidi overrides here)."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _emit(as_json: bool, value: Any, text: Callable[[datetime], str]) -> None:
    now = datetime.now().astimezone()
    typer.echo(_dumps(_jsonable(value, now)) if as_json else render.printable(text(now)))


def _page_json(page: Page, now: datetime) -> dict[str, Any]:
    return {
        "items": _jsonable(list(page.items), now),
        "total": page.total,
        "total_capped": page.total_capped,
        "page": page.page_number,
        "page_size": page.limit,
        "has_more": page.has_more,
        "next_page": page.page_number + 1 if page.has_more else None,
    }


def _page_offset(page: int, size: int) -> int:
    if page < 1:
        raise Failure("--page counts from 1", "usage", 2)
    return (page - 1) * size


def _timezone() -> str | None:
    return _settings().timezone


# ------------------------------------------------------------------------------------------ tickets
@ticket_app.command("create")
def ticket_create(
    user: str = typer.Option(..., "--user", help="The requester's user id."),
    subject: str = typer.Option(..., "--subject"),
    message: str = typer.Option("", "--message", help="The description."),
    category: str | None = typer.Option(None, "--category", help="Default: the first configured category."),
    priority: str = typer.Option("Medium", "--priority", help="low, medium, high or urgent."),
    email: str | None = typer.Option(None, "--email", help="The requester's email (for notifications)."),
    as_json: bool = JSON,
) -> None:
    """Open a ticket for a requester."""
    requester = _actor(user, None)
    requester = dataclasses.replace(requester, email=email)
    result: Changed = _execute(OpenTicket(subject, message, category, priority), requester)
    _emit(as_json, result.ticket, lambda now: render.change_words(result))


@ticket_app.command("show")
def ticket_show(ticket_id: str, as_json: bool = JSON) -> None:
    """Show a ticket and its whole thread (internal notes included)."""
    shown: Shown = _execute(ShowTicket(ticket_id))
    tz = _timezone()
    _emit(
        as_json,
        {"ticket": shown.ticket, "messages": list(shown.thread)},
        lambda now: texts.ticket_detail(shown.ticket, shown.thread, now, tz),
    )


@ticket_app.command("reply")
def ticket_reply(
    ticket_id: str,
    message: str = typer.Option(..., "--message"),
    user: str | None = typer.Option(None, "--user", help="Reply as the requester."),
    staff: str | None = typer.Option(None, "--staff", help="Reply as support staff."),
    as_json: bool = JSON,
) -> None:
    """Reply to a ticket as its requester (--user) or as staff (--staff)."""
    actor = _actor(user, staff, default=None)
    posted: Posted = _execute(Reply(ticket_id, message, as_staff=actor.is_staff), actor)
    _emit(as_json, posted.message, lambda now: render.post_words(posted))


@ticket_app.command("note")
def ticket_note(
    ticket_id: str, message: str = typer.Option(..., "--message"), staff: str | None = STAFF, as_json: bool = JSON
) -> None:
    """Add an internal note (never shown to the requester)."""
    posted: Posted = _execute(AddNote(ticket_id, message), _actor(None, staff))
    _emit(as_json, posted.message, lambda now: render.post_words(posted))


def _change(command: Command, actor: Actor, as_json: bool) -> None:
    result: Changed = _execute(command, actor)
    _emit(as_json, result.ticket, lambda now: render.change_words(result))


@ticket_app.command("status")
def ticket_status(ticket_id: str, status: str, staff: str | None = STAFF, as_json: bool = JSON) -> None:
    """Set a ticket's status (open, pending, closed)."""
    _change(ChangeStatus(ticket_id, status), _actor(None, staff), as_json)


@ticket_app.command("close")
def ticket_close(
    ticket_id: str,
    reason: str | None = typer.Option(None, "--reason", help="Why (shown to the requester)."),
    user: str | None = USER,
    staff: str | None = STAFF,
    as_json: bool = JSON,
) -> None:
    """Close a ticket."""
    _change(Close(ticket_id, reason), _actor(user, staff), as_json)


@ticket_app.command("reopen")
def ticket_reopen(ticket_id: str, user: str | None = USER, staff: str | None = STAFF, as_json: bool = JSON) -> None:
    """Reopen a closed ticket."""
    _change(Reopen(ticket_id), _actor(user, staff), as_json)


@ticket_app.command("assign")
def ticket_assign(
    ticket_id: str,
    to: str = typer.Option(..., "--to", help="A staff member (slack:U123, discord:1234, a name), or 'none'."),
    staff: str | None = STAFF,
    as_json: bool = JSON,
) -> None:
    """Assign a ticket to a staff member (or unassign it with --to none)."""
    _change(Assign(ticket_id, UserRef(to)), _actor(None, staff), as_json)


@ticket_app.command("priority")
def ticket_priority(ticket_id: str, priority: str, staff: str | None = STAFF, as_json: bool = JSON) -> None:
    """Change a ticket's priority (low, medium, high, urgent)."""
    _change(SetPriority(ticket_id, priority), _actor(None, staff), as_json)


@ticket_app.command("category")
def ticket_category(ticket_id: str, category: str, staff: str | None = STAFF, as_json: bool = JSON) -> None:
    """Move a ticket to another category."""
    _change(SetCategory(ticket_id, category), _actor(None, staff), as_json)


@ticket_app.command("rate")
def ticket_rate(
    ticket_id: str,
    rating: int = typer.Argument(..., help="1 to 5."),
    user: str = typer.Option(..., "--user", help="The requester (only they can rate)."),
    as_json: bool = JSON,
) -> None:
    """Rate a closed ticket as its requester (once)."""
    _change(Rate(ticket_id, rating), _actor(user, None), as_json)


@ticket_app.command("history")
def ticket_history(ticket_id: str, as_json: bool = JSON) -> None:
    """Every change of a ticket: who changed what, when."""
    result: History = _execute(ShowHistory(ticket_id))
    tz = _timezone()
    _emit(as_json, list(result.changes), lambda now: texts.history_text(result.changes, now, tz))


@ticket_app.command("list")
def ticket_list(
    status: list[str] = typer.Option(
        None, "--status", help="open, pending, closed or all; repeat for several. Default: open and pending."
    ),
    mine: bool = typer.Option(False, "--mine", help="Only tickets assigned to --staff."),
    staff: str | None = STAFF,
    page: int = typer.Option(1, "--page", help="Which page (from 1)."),
    limit: int = typer.Option(PAGE_SIZE, "--limit", help="Tickets per page (at most 100)."),
    as_json: bool = JSON,
) -> None:
    """List tickets: the staff queue (unassigned first, then by SLA due time)."""
    if any(s.strip().lower() == "all" for s in status or []):
        statuses = tuple(Status)
    else:
        statuses = tuple(_status(s) for s in status or []) or (Status.OPEN, Status.PENDING)
    command = ListTickets(statuses, mine, limit, _page_offset(page, limit))
    result: Page = _execute(command, _actor(None, staff))
    _emit_page(result, page, as_json)


def _emit_page(result: Page, page: int, as_json: bool) -> None:
    if as_json:
        typer.echo(_dumps(_page_json(result, datetime.now().astimezone())))
    else:
        _emit(False, None, lambda now: texts.page_text(result, now, next_hint=f"--page {page + 1}"))


def _status(text: str) -> Status:
    try:
        return Status.parse(text)
    except InvalidInput as exc:
        raise Failure(f"{exc} (or all)", "invalid_input", 2) from None


@ticket_app.command("search")
def ticket_search(
    query: str,
    page: int = typer.Option(1, "--page", help="Which page (from 1)."),
    limit: int = typer.Option(PAGE_SIZE, "--limit", help="Tickets per page (at most 100)."),
    as_json: bool = JSON,
) -> None:
    """Search, e.g. 'login error status:open priority:high,urgent created:7d'."""
    result: Page = _execute(Search(query, limit, _page_offset(page, limit)))
    _emit_page(result, page, as_json)


# ------------------------------------------------------------------------------------------ the rest
@app.command("stats")
def stats(as_json: bool = JSON) -> None:
    """Ticket statistics (all time, last 24 h and 7 days, oldest open)."""
    result = _execute(ShowStats())
    _emit(as_json, result, lambda now: texts.stats_text(result, now))


@app.command("migrate")
def migrate(as_json: bool = JSON) -> None:
    """Create or upgrade the database schema (Alembic)."""
    from core.storage.engine import build_engine
    from core.storage.migrate import current_revision, upgrade

    settings = _settings()

    async def main() -> str | None:
        engine = build_engine(settings.database_url)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    revision = _guarded(main)
    _emit(as_json, {"revision": revision}, lambda now: f"database at revision {revision}")


@app.command("run")
def run(
    console: bool | None = typer.Option(
        None,
        "--console/--no-console",
        help="Default: the console when no platform is configured and stdin is a terminal.",
    ),
) -> None:
    """Run ticketbot: every configured adapter, until Ctrl-C / SIGTERM."""
    from bot.bootstrap import platforms_configured, serve

    settings = _settings()
    if console is None:
        console = not platforms_configured(settings) and sys.stdin.isatty()
    _set_log_level(settings, console=console)
    _guarded(lambda: serve(settings, console=bool(console)))


@app.command("console")
def console_cmd(
    user: str | None = typer.Option(None, "--user", help="Start as this requester."),
    staff: str | None = typer.Option(None, "--staff", help="Start as this staff member."),
) -> None:
    """A chat in the terminal with the same /ticket commands as Slack and Discord."""
    from bot.bootstrap import serve

    settings = _settings()
    actor = None
    if user is not None or staff is not None:
        base = _actor(user, staff)
        actor = Actor(platform="console", user_id=base.user_id.lower(), name=base.name, is_staff=base.is_staff)
    _set_log_level(settings, console=True)
    _guarded(lambda: serve(settings, console=True, console_actor=actor))


def _set_log_level(settings: Settings, *, console: bool) -> None:
    """Service logs at ``TICKETBOT_LOG_LEVEL``; the console chat shows only warnings unless asked for more."""
    explicit = "TICKETBOT_LOG_LEVEL" in os.environ
    logging.getLogger().setLevel(settings.log_level if explicit or not console else "WARNING")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("ticketbot")
    except PackageNotFoundError:
        return "unknown"


@app.callback()
def _root(
    show_version: bool = typer.Option(False, "--version", is_eager=True, help="Print the version and exit."),
) -> None:
    if show_version:
        typer.echo(f"ticketbot {version()}")
        raise typer.Exit()


def _wants_json(argv: list[str]) -> bool:
    return "--json" in argv


def _fail(message: str, code: str, status: int, as_json: bool) -> NoReturn:
    line = " ".join(render.printable(message).split())
    if as_json:
        typer.echo(json.dumps({"error": {"code": code, "message": line}}), err=True)
    else:
        typer.echo(f"error: {line}", err=True)
    sys.exit(status)


def main(argv: list[str] | None = None) -> None:
    """The ``ticketbot`` entry point: one line for every error, never a traceback for a user's mistake."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):  # the fast path: no settings, no database
        print(f"ticketbot {version()}")
        return
    from bot.logs import configure

    configure(logging.WARNING)
    as_json = _wants_json(args)
    try:
        status = app(args=args, prog_name="ticketbot", standalone_mode=False)
    except Failure as exc:
        _fail(str(exc), exc.code, exc.status, as_json)
    except click.exceptions.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(0)
    except click.UsageError as exc:
        where = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
        _fail(exc.format_message() + where, "usage", 2, as_json)
    except click.ClickException as exc:
        _fail(exc.format_message(), "usage", exc.exit_code, as_json)
    except (click.exceptions.Abort, KeyboardInterrupt):
        typer.echo("", err=True)
        sys.exit(130)
    sys.exit(status if isinstance(status, int) else 0)


from bot import cli_digest, cli_doctor, cli_import, cli_outbox  # noqa: E402, F401  (their commands register on `app`)
