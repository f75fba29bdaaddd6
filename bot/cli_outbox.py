"""``ticketbot outbox``: the delivery queue — what is waiting, what gave up (dead letters), and putting it back.

A dead letter is an event a notifier failed to deliver for ``TICKETBOT_OUTBOX__DEAD_AFTER``: kept with its last
error and no longer retried. ``retry`` puts rows back as new; the running ticketbot delivers them within a second.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from bot.cli import JSON, Failure, _emit, _run, _timezone, app
from core import render

if TYPE_CHECKING:
    from core.storage.queue import OutboxRow

outbox_app = typer.Typer(no_args_is_help=True, help="The delivery queue: backlog, dead letters, retries.")
app.add_typer(outbox_app, name="outbox")
ERROR_SHOWN = 160  # characters of the last error in the text listing


@outbox_app.command("list")
def outbox_list(
    dead: bool = typer.Option(False, "--dead", help="The dead letters instead of the backlog."),
    limit: int = typer.Option(50, "--limit", help="Rows to show (at most 1000)."),
    as_json: bool = JSON,
) -> None:
    """Show undelivered events: the backlog (next due first), or with --dead the dead letters (latest first)."""
    if not 1 <= limit <= 1000:
        raise Failure("--limit is between 1 and 1000", "usage", 2)

    async def work(rt: Any) -> tuple[list[OutboxRow], int]:
        rows: tuple[list[OutboxRow], int] = await rt.db.read(lambda uow: uow.outbox.listing(dead=dead, limit=limit))
        return rows

    rows, total = _run(work)
    data = {"items": [_row_json(r) for r in rows], "total": total, "dead": dead}
    tz = _timezone()
    _emit(as_json, data, lambda now: _listing_text(rows, total, dead, now, tz))


@outbox_app.command("retry")
def outbox_retry(
    row_id: int | None = typer.Argument(None, metavar="[ID]", help="The outbox row to put back (see outbox list)."),
    all_dead: bool = typer.Option(False, "--all-dead", help="Put back every dead letter."),
    as_json: bool = JSON,
) -> None:
    """Put a row (or every dead letter) back in the queue, as new: delivered at once by the running ticketbot."""
    if (row_id is None) == (not all_dead):
        raise Failure("give one row ID or --all-dead (see: ticketbot outbox list --dead)", "usage", 2)

    async def work(rt: Any) -> list[int]:
        now = rt.desk.clock.now()
        ids = None if all_dead else [row_id]
        revived: list[int] = await rt.db.write(lambda uow: uow.outbox.revive(ids, now))
        return revived

    revived = _run(work)
    if row_id is not None and not revived:
        raise Failure(f"no outbox row {row_id}: it was delivered already, or never queued", "not_found", 1)
    _emit(as_json, {"retried": revived}, lambda now: _retried_text(revived))


def _row_json(r: OutboxRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "consumer": r.consumer,
        "event": r.event,
        "ticket_id": r.ticket_id,
        "attempts": r.attempts,
        "created_at": r.created_at,
        "available_at": r.available_at,
        "first_failed_at": r.first_failed_at,
        "dead_at": r.dead_at,
        "last_error": r.last_error,
    }


def _listing_text(rows: list[OutboxRow], total: int, dead: bool, now: datetime, tz: str | None) -> str:
    if not rows:
        return "No dead letters." if dead else "Nothing waiting: every event is delivered."
    noun = "dead letter" if dead else "undelivered event"
    head = f"{total:,} {noun}{'' if total == 1 else 's'}" + (f" (showing {len(rows)})" if total > len(rows) else "")
    lines = [head + ":"]
    for r in rows:
        if dead:
            state = f"dead since {render.when_relative(r.dead_at, now, tz)} after {r.attempts} attempts"
        elif r.attempts:
            state = f"attempt {r.attempts + 1} {render.relative(r.available_at, now)}"
        else:
            state = f"queued {render.relative(r.created_at, now)}"
        error = ""
        if r.last_error:
            first = " ".join(r.last_error.split())
            error = " — " + (first if len(first) <= ERROR_SHOWN else first[: ERROR_SHOWN - 1] + "…")
        lines.append(f"  #{r.id}  {r.consumer}  {r.event}  {r.ticket_id}  {state}{error}")
    if dead:
        lines.append("Put back: ticketbot outbox retry ID, or ticketbot outbox retry --all-dead")
    return "\n".join(lines)


def _retried_text(revived: list[int]) -> str:
    if not revived:
        return "No dead letters to put back."
    ids = ", ".join(f"#{i}" for i in revived)
    return (
        f"Put back {len(revived)} row{'' if len(revived) == 1 else 's'} ({ids}): the running ticketbot delivers them."
    )
