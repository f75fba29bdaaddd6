"""The daily digest: what the previous local calendar day brought, in numbers a support manager reads at 09:00.

The window. A digest built at ``now`` covers the last *complete* local calendar day in the digest's time zone
(``TICKETBOT_DIGEST__TIMEZONE``): posted at 09:00 on Thursday, it tells Wednesday 00:00-24:00. A calendar day
is what a manager compares with yesterday's post and last week's, it does not shift when the posting time is
changed, and it is the last bar of the 14-day chart, so the headline and the chart always agree. Days are
local: a DST change day is 23 h or 25 h long. The backlog (open, pending, the oldest tickets) is as of ``now``.

The figures of a day (``load_digest`` in ``core.storage.digest`` counts them; tests recount them by brute force):
- opened: tickets created in the day; closed: tickets whose current ``closed_at`` lies in the day (a ticket
  reopened since is no longer closed, as in ``desk.stats()``).
- average first response: over tickets whose first response was given in the day, ``first_response_at -
  created_at`` in whole seconds; average resolution: over the day's closed tickets, ``closed_at - created_at``.
- SLA: the response targets decided in the day. A ticket counts once per day: *met* when its first response
  came in the day and the ticket's SLA is not breached (``sla_breached``) and it is not overdue; *missed*
  when that first response came late, or when a response falls due in the day and none has come yet. Those
  misses are the day's breaches. ``sla_breached`` is read as it is now, and no column records when a later
  reply came late: such a ticket turns its first response's day from met to missed.
- CSAT: ratings given in the day (a rating's history row); a ticket is rated once, and should a rating ever
  be changed, its last value that day counts.
Pure: no I/O, no clock; every datetime in it is UTC.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.model import Priority, Ticket
from core.render import duration
from core.sla import first_instant
from core.stats import Stats

DAYS = 14  # days in the series (the chart); the last is the digest's day
OLDEST = 5  # oldest waiting tickets listed
BREACHES_SHOWN = 10  # breaches listed by ticket (all are counted)
SUBJECT_SHOWN = 60  # characters of a subject in the text

URGENCY = (Priority.URGENT, Priority.HIGH, Priority.MEDIUM, Priority.LOW)  # most urgent first


@dataclass(frozen=True)
class SlaCount:
    """Response targets decided: how many, how many met."""

    met: int = 0
    decided: int = 0

    @property
    def missed(self) -> int:
        return self.decided - self.met

    @property
    def attainment(self) -> float | None:
        """``met / decided``, or ``None`` when nothing was decided."""
        return self.met / self.decided if self.decided else None

    def __add__(self, other: SlaCount) -> SlaCount:
        return SlaCount(self.met + other.met, self.decided + other.decided)


@dataclass(frozen=True)
class DayFigures:
    """One local calendar day of the series: ``start`` ≤ t < ``end`` (UTC; 23, 24 or 25 hours apart)."""

    day: date
    start: datetime
    end: datetime
    opened: int = 0
    closed: int = 0
    sla: SlaCount = SlaCount()


@dataclass(frozen=True)
class Breach:
    """A response target missed in the digest's day.

    ``still_waiting``: the response fell due in the day and has not come (``ticket.sla_due_at`` says when);
    otherwise the first response came late in the day (``ticket.first_response_at``).
    """

    ticket: Ticket
    still_waiting: bool


@dataclass(frozen=True)
class Digest:
    tz: ZoneInfo
    generated_at: datetime
    series: tuple[DayFigures, ...]  # oldest first; the last is the digest's day
    first_responses: int  # given in the day
    avg_first_response: timedelta | None
    avg_resolution: timedelta | None  # over the day's closed tickets
    sla_by_priority: Mapping[Priority, SlaCount]  # the day; every priority, most urgent first
    breaches: tuple[Breach, ...]  # the day's, most urgent first, at most BREACHES_SHOWN
    ratings: int  # given in the day
    csat_average: float | None
    oldest_open: tuple[Ticket, ...]  # still waiting (Open or Pending) now, oldest first
    all_time: Stats  # from the maintained aggregates, as desk.stats() (its windowed fields unset)

    @property
    def today(self) -> DayFigures:
        """The day the digest covers."""
        return self.series[-1]

    @property
    def day(self) -> date:
        return self.today.day

    @property
    def start(self) -> datetime:
        return self.today.start

    @property
    def end(self) -> datetime:
        return self.today.end

    @property
    def opened(self) -> int:
        return self.today.opened

    @property
    def closed(self) -> int:
        return self.today.closed

    @property
    def open_now(self) -> int:
        return self.all_time.open

    @property
    def pending_now(self) -> int:
        return self.all_time.pending

    @property
    def sla(self) -> SlaCount:
        return self.today.sla

    @property
    def breach_count(self) -> int:
        return self.today.sla.missed


def digest_day(now: datetime, tz: ZoneInfo) -> date:
    """The local calendar day a digest built at ``now`` covers: the last complete one."""
    return _aware(now).astimezone(tz).date() - timedelta(days=1)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a local calendar day starts and ends (a midnight skipped by DST: when the clock jumps)."""
    return first_instant(day, time(0), tz), first_instant(day + timedelta(days=1), time(0), tz)


def series_days(now: datetime, tz: ZoneInfo, days: int = DAYS, *, day: date | None = None) -> list[DayFigures]:
    """The ``days`` empty local days ending with the digest's day (``day``, or the last complete one before
    ``now``), oldest first."""
    if days < 1:
        raise ValueError("a digest covers at least one day")
    last = day if day is not None else digest_day(now, tz)
    out = []
    for back in range(days - 1, -1, -1):
        day = last - timedelta(days=back)
        out.append(DayFigures(day, *day_bounds(day, tz)))
    return out


def attainment_text(count: SlaCount) -> str:
    """``91% (31 of 34 met)``; the percentage rounds down, so one miss never shows as 100%."""
    if count.attainment is None:
        return "no response targets decided"
    return f"{math.floor(count.attainment * 100)}% ({count.met:,} of {count.decided:,} met)"


def code_id(ticket: Ticket) -> str:
    return f"`{ticket.id}`"


def digest_text(digest: Digest, *, escape: Callable[[str], str] = str, ref: Callable[[Ticket], str] = code_id) -> str:
    """The digest as neutral plain text with light Markdown (``-`` lists, ticket ids as code).

    ``escape`` is applied to user text (ticket subjects) so each platform can neutralise its own markup
    and mentions; the rest of the text is ours and safe everywhere. ``ref`` writes a ticket's id (a platform
    links it to the ticket's card or thread).
    """
    d, tz = digest, digest.tz
    day_length = d.end - d.start
    clock_change = ""
    if day_length != timedelta(days=1):
        went = "forward" if day_length < timedelta(days=1) else "back"
        clock_change = f", a {day_length // timedelta(hours=1)}-hour day: clocks went {went}"
    lines = [
        f"Daily digest for {d.day:%A} {d.day.day} {d.day:%B %Y} ({tz.key}{clock_change})",
        f"Tickets: {d.opened:,} opened · {d.closed:,} closed · waiting now: {d.open_now:,} open, "
        f"{d.pending_now:,} pending",
        "Average first response: "
        + (
            f"{duration(d.avg_first_response)} over {_count(d.first_responses, 'first response')}"
            if d.avg_first_response is not None
            else "no first responses given"
        ),
        "Average resolution: "
        + (
            f"{duration(d.avg_resolution)} over {_count(d.closed, 'closed ticket')}"
            if d.avg_resolution is not None
            else "no tickets closed"
        ),
        f"SLA attainment: {attainment_text(d.sla)}",
    ]
    lines += [f"- {priority.value}: {attainment_text(count)}" for priority, count in d.sla_by_priority.items()]
    lines.append(f"CSAT: {_csat(d.csat_average, d.ratings)}")
    if d.breach_count:
        lines.append(f"SLA breaches: {d.breach_count:,}")
        for breach in d.breaches:
            t = breach.ticket
            if breach.still_waiting and t.sla_due_at is not None:
                what = f"no response yet, due {_moment(t.sla_due_at, d)}"
            else:
                assert t.first_response_at is not None
                what = f"answered late at {_moment(t.first_response_at, d)}"
            lines.append(f"- {ref(t)} {t.priority.value} · {_subject(t, escape)} — {what}")
        if d.breach_count > len(d.breaches):
            lines.append(f"- and {d.breach_count - len(d.breaches):,} more")
    else:
        lines.append("SLA breaches: none, no response target was missed")
    if d.oldest_open:
        lines.append(f"Oldest waiting tickets ({len(d.oldest_open)}):")
        for t in d.oldest_open:
            age = duration(d.generated_at - t.created_at)
            lines.append(
                f"- {ref(t)} {t.status.value} · {t.priority.value} · {_subject(t, escape)} — "
                f"waiting {age}, opened {_moment(t.created_at, d, always_date=True)}"
            )
    else:
        lines.append("Oldest waiting tickets: none, nothing is open or pending")
    span = sum((day.sla for day in d.series), SlaCount())
    lines.append(
        f"Last {len(d.series)} days: {sum(day.opened for day in d.series):,} opened · "
        f"{sum(day.closed for day in d.series):,} closed · SLA attainment {attainment_text(span)}"
    )
    a = d.all_time
    all_sla = f"{math.floor(a.sla_attainment * 100)}%" if a.sla_attainment is not None else "none decided"
    all_csat = _csat(a.csat_average, a.csat_count)
    lines.append(f"All time: {_count(a.total, 'ticket')} · SLA attainment {all_sla} · CSAT {all_csat}")
    lines.append(f"Generated {_moment(d.generated_at, d, always_date=True)} ({tz.key})")
    return "\n".join(lines)


def _csat(average: float | None, ratings: int) -> str:
    return f"{average:.1f} / 5 from {_count(ratings, 'rating')}" if average is not None else "no ratings"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _subject(ticket: Ticket, escape: Callable[[str], str]) -> str:
    text = ticket.subject if len(ticket.subject) <= SUBJECT_SHOWN else ticket.subject[: SUBJECT_SHOWN - 1] + "…"
    return escape(text)


def _moment(moment: datetime, digest: Digest, *, always_date: bool = False) -> str:
    """A time in the digest's zone; the date is added unless it is the digest's day."""
    local = moment.astimezone(digest.tz)
    if local.date() == digest.day and not always_date:
        return f"{local:%H:%M}"
    year = "" if local.year == digest.day.year else f" {local.year}"
    return f"{local:%a} {local.day} {local:%b}{year} {local:%H:%M}"


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment
