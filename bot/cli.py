"""The ``ticketbot`` command line. Every command takes ``--json``; errors are one line and a non-zero exit."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, TypeVar

import typer

from bot.settings import Settings, SettingsError, load_settings
from core import texts
from core.errors import TicketError
from core.model import Actor

T = TypeVar("T")
app = typer.Typer(no_args_is_help=True, add_completion=False, help="Support tickets that live in team chat.")
ticket_app = typer.Typer(no_args_is_help=True, help="Create, read and work tickets.")
app.add_typer(ticket_app, name="ticket")
log = logging.getLogger("ticketbot")

JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
OPERATOR = Actor(platform="cli", user_id="operator", name="operator", is_staff=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        _fail(str(exc), code=2)
        raise  # unreachable


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _run(work: Callable[[Any], Awaitable[T]]) -> T:
    """Open the runtime, run ``work(runtime)``, close; user errors become one line and exit code 1."""
    from bot.bootstrap import open_runtime

    settings = _settings()

    async def main() -> T:
        runtime = await open_runtime(settings)
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    return _guarded(main)


def _guarded(start: Callable[[], Awaitable[T]]) -> T:
    """Run the coroutine; what a user or operator can cause becomes one line on stderr and an exit code."""
    from bot.bootstrap import AdapterFailed

    try:
        return asyncio.run(start())  # type: ignore[arg-type]
    except (TicketError, AdapterFailed) as exc:
        _fail(str(exc))
    except SettingsError as exc:
        _fail(str(exc), code=2)
    except OSError as exc:
        _fail(f"cannot reach the database: {exc}", code=2)
    raise AssertionError("unreachable")


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for prop in ("has_more", "total"):
            if hasattr(type(value), prop) and isinstance(getattr(type(value), prop), property):
                out[prop] = getattr(value, prop)
        return out
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    return value


def _emit(as_json: bool, value: Any, text: str) -> None:
    typer.echo(json.dumps(_jsonable(value), indent=2, ensure_ascii=False) if as_json else text)


def _person(user: str | None, staff: str | None) -> Actor:
    if user and staff:
        _fail("give --user or --staff, not both")
    if staff:
        return Actor(platform="api", user_id=staff, name=staff, is_staff=True)
    if user:
        return Actor(platform="api", user_id=user, name=user)
    return OPERATOR


@ticket_app.command("create")
def ticket_create(
    user: str = typer.Option(..., "--user", help="The requester's user id."),
    subject: str = typer.Option(..., "--subject"),
    message: str = typer.Option("", "--message"),
    category: str = typer.Option("General", "--category"),
    priority: str = typer.Option("Medium", "--priority"),
    email: str | None = typer.Option(None, "--email"),
    as_json: bool = JSON,
) -> None:
    """Open a ticket for a requester."""
    requester = Actor(platform="api", user_id=user, name=user, email=email)

    async def work(rt: Any) -> Any:
        return await rt.desk.create_ticket(
            subject=subject, message=message, category=category, priority=priority, requester=requester
        )

    ticket = _run(work)
    _emit(as_json, ticket, f"Opened {ticket.id}: {ticket.subject}")


@ticket_app.command("show")
def ticket_show(ticket_id: str, as_json: bool = JSON) -> None:
    """Show a ticket and its whole thread."""

    async def work(rt: Any) -> Any:
        ticket = await rt.desk.get_ticket(ticket_id=ticket_id, actor=OPERATOR)
        return ticket, await rt.desk.get_thread(ticket_id=ticket_id, actor=OPERATOR)

    ticket, thread = _run(work)
    _emit(as_json, {"ticket": ticket, "messages": thread}, texts.ticket_detail(ticket, thread))


@ticket_app.command("reply")
def ticket_reply(
    ticket_id: str,
    message: str = typer.Option(..., "--message"),
    user: str | None = typer.Option(None, "--user", help="Reply as the requester."),
    staff: str | None = typer.Option(None, "--staff", help="Reply as support staff."),
    as_json: bool = JSON,
) -> None:
    """Reply to a ticket as its requester (--user) or as staff (--staff)."""
    if not user and not staff:
        _fail("give --user (the requester) or --staff")
    actor = _person(user, staff)

    async def work(rt: Any) -> Any:
        if actor.is_staff:
            return await rt.desk.admin_reply_to_ticket(ticket_id=ticket_id, content=message, actor=actor)
        return await rt.desk.reply_to_ticket(ticket_id=ticket_id, content=message, actor=actor)

    sent = _run(work)
    _emit(as_json, sent, f"Replied to {sent.ticket_id}")


@ticket_app.command("status")
def ticket_status(ticket_id: str, status: str, as_json: bool = JSON) -> None:
    """Set a ticket's status (open, pending, closed)."""

    async def work(rt: Any) -> Any:
        return await rt.desk.admin_update_ticket_status(ticket_id=ticket_id, status=status, actor=OPERATOR)

    ticket = _run(work)
    _emit(as_json, ticket, f"{ticket.id} is now {ticket.status.value}")


@ticket_app.command("list")
def ticket_list(
    status: list[str] = typer.Option(None, "--status", help="Repeat for several; default: open and pending."),
    limit: int = typer.Option(20, "--limit"),
    as_json: bool = JSON,
) -> None:
    """List tickets: the staff queue (unassigned first, then by SLA due time)."""

    async def work(rt: Any) -> Any:
        return await rt.desk.list_tickets(actor=OPERATOR, status=status or None, limit=limit)

    found = _run(work)
    _emit(as_json, found, texts.ticket_list(found))


@ticket_app.command("search")
def ticket_search(query: str, limit: int = typer.Option(20, "--limit"), as_json: bool = JSON) -> None:
    """Search, e.g. 'login error status:open priority:high,urgent created:7d'."""

    async def work(rt: Any) -> Any:
        return await rt.desk.search(query=query, actor=OPERATOR, limit=limit)

    page = _run(work)
    _emit(as_json, page, f"{page.total} found\n" + texts.ticket_list(page.items, empty="Nothing matches."))


@app.command("stats")
def stats(as_json: bool = JSON) -> None:
    """Ticket statistics."""

    async def work(rt: Any) -> Any:
        return await rt.desk.stats(actor=OPERATOR)

    result = _run(work)
    _emit(as_json, result, texts.stats_text(result))


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
    _emit(as_json, {"revision": revision}, f"database at revision {revision}")


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
    _serve(lambda: serve(settings, console=console))


@app.command("console")
def console_cmd(
    user: str | None = typer.Option(None, "--user", help="Start as this requester."),
    staff: str | None = typer.Option(None, "--staff", help="Start as this staff member."),
) -> None:
    """A chat in the terminal with the same /ticket commands as Slack and Discord."""
    from bot.bootstrap import serve

    settings = _settings()
    actor = None
    if user or staff:
        base = _person(user, staff)
        actor = Actor(platform="console", user_id=base.user_id.lower(), name=base.name, is_staff=base.is_staff)
    _serve(lambda: serve(settings, console=True, console_actor=actor))


def _set_log_level(settings: Settings, *, console: bool) -> None:
    """Service logs at ``TICKETBOT_LOG_LEVEL``; the console chat shows only warnings unless asked for more."""
    explicit = "TICKETBOT_LOG_LEVEL" in os.environ
    logging.getLogger().setLevel(settings.log_level.upper() if explicit or not console else "WARNING")


def _serve(start: Callable[[], Awaitable[None]]) -> None:
    try:
        _guarded(start)
    except KeyboardInterrupt:
        pass


def main() -> None:
    from bot.logs import configure

    configure(logging.WARNING)
    app()
