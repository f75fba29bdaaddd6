"""SLA arithmetic: response targets, business hours, due and warning instants. Pure: no I/O, no clock.

Every datetime going in must be timezone-aware (naive input is a programming error: ``ValueError``);
every datetime coming out is UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidInput
from core.model import Priority

DEFAULT_TARGETS: dict[Priority, timedelta] = {
    Priority.LOW: timedelta(hours=48),
    Priority.MEDIUM: timedelta(hours=24),
    Priority.HIGH: timedelta(hours=4),
    Priority.URGENT: timedelta(hours=1),
}

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_TINY = timedelta(microseconds=1)
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DURATION = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as ``48h``, ``90m``, ``2d``, ``1h30m``, ``45s`` or ``1w``.

    Units (``w``, ``d``, ``h``, ``m``, ``s``) come largest first, each at most once; case and spaces
    between parts are ignored.

    Raises:
        InvalidInput: the text is not such a duration, or it is zero.
    """
    compact = "".join(str(text).split()).lower()
    match = _DURATION.fullmatch(compact)
    if not compact or match is None:
        raise InvalidInput(
            f"invalid duration {_show(text)}; write a number and a unit, largest first, "
            "e.g. 48h, 90m, 2d or 1h30m (units: w, d, h, m, s)"
        )
    weeks, days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    try:
        duration = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise InvalidInput(f"the duration {_show(text)} is too long") from None
    if not duration:
        raise InvalidInput(f"the duration {_show(text)} is zero; it must be longer than that")
    return duration


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours in a local time zone: the weekdays, and one wall-clock span on each of them.

    A day's hours run from the first instant its local clock shows ``start`` to the first instant it
    shows ``end``. So a 09:00-17:00 day is 8 h even on DST change days; where a DST gap swallows
    ``start`` (or ``end``), the hours open (or close) the moment the clock jumps past the gap; where a
    wall-clock time happens twice, the first occurrence counts.
    """

    tz: ZoneInfo
    weekdays: frozenset[int]  # 0 = Monday … 6 = Sunday
    start: time
    end: time

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise InvalidInput("business hours need at least one weekday (0 = Monday … 6 = Sunday)")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("business hours are local wall-clock times; pass times without tzinfo")
        if self.start >= self.end:
            raise InvalidInput(
                f"business hours must open before they close, got {self.start:%H:%M}-{self.end:%H:%M}; "
                "hours cannot run past midnight"
            )

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """Parse ``"<time zone> <days> <HH:MM>-<HH:MM>"``.

        Examples: ``"Europe/Berlin Mon-Fri 09:00-17:00"``, ``"UTC Mon,Wed,Fri 08:30-12:00"``. Days are
        names (``Mon`` or ``Monday``, any case), comma lists and ranges (``Sat-Sun``, ``Fri-Mon``).

        Raises:
            InvalidInput: naming the part that is wrong.
        """
        parts = str(text).split()
        if len(parts) != 3:
            raise InvalidInput(
                f"invalid business hours {_show(text)}; write a time zone, days and hours, "
                "e.g. Europe/Berlin Mon-Fri 09:00-17:00"
            )
        zone, days, hours = parts
        opening, dash, closing = hours.partition("-")
        if not dash:
            raise InvalidInput(f"invalid hours {_show(hours)}; write opening-closing, e.g. 09:00-17:00")
        return cls(_parse_zone(zone), _parse_weekdays(days), _parse_clock(opening), _parse_clock(closing))

    def __str__(self) -> str:
        """The canonical text that :meth:`parse` reads back, e.g. ``Europe/Berlin Mon-Fri 09:00-17:00``."""
        runs: list[list[int]] = []
        for day in sorted(self.weekdays):
            if runs and runs[-1][-1] == day - 1:
                runs[-1].append(day)
            else:
                runs.append([day])
        names = [_DAY_NAMES[run[0]].title() + (f"-{_DAY_NAMES[run[-1]].title()}" if run[1:] else "") for run in runs]
        return f"{self.tz.key} {','.join(names)} {self.start:%H:%M}-{self.end:%H:%M}"

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Return the first instant at which ``duration`` of business time has passed since ``start``.

        Outside the hours the count begins at the next opening; a zero duration returns ``start``.

        Raises:
            ValueError: ``start`` is naive or ``duration`` is negative.
        """
        start = _utc(start)
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        if not duration:
            return start
        first = start.astimezone(self.tz).date()
        day, remaining = first, duration
        while True:
            # Skip a whole week in one step when it lies after `start`, cannot contain the result and
            # has no UTC-offset change (so every day has its nominal hours).
            if day > first and remaining > self._week_hours and self._is_regular_week(day):
                remaining -= self._week_hours
                day += _WEEK
                continue
            opening, closing = self._window(day)
            opening = max(opening, start)
            if closing > opening:
                if remaining <= closing - opening:
                    return opening + remaining
                remaining -= closing - opening
            day += _DAY

    def next_opening(self, moment: datetime) -> datetime:
        """Return ``moment`` when it lies inside the hours, else the instant they next open."""
        return self.add(moment, _TINY) - _TINY

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return the business time between two instants (zero when ``end <= start``).

        Raises:
            ValueError: either instant is naive.
        """
        start, end = _utc(start), _utc(end)
        total = timedelta(0)
        if end <= start:
            return total
        first, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        day = first
        while day <= last:
            if first < day and day + _WEEK <= last and self._is_regular_week(day):
                total += self._week_hours
                day += _WEEK
                continue
            opening, closing = self._window(day)
            overlap = min(closing, end) - max(opening, start)
            total += max(overlap, timedelta(0))
            day += _DAY
        return total

    @property
    def _week_hours(self) -> timedelta:
        """Business time of a week without UTC-offset changes."""
        span = datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        return span * len(self.weekdays)

    def _window(self, day: date) -> tuple[datetime, datetime]:
        """The opening and closing instants of a local date (equal when the date has no hours)."""
        if day.weekday() not in self.weekdays:
            midnight = first_instant(day, time(0), self.tz)
            return midnight, midnight
        return first_instant(day, self.start, self.tz), first_instant(day, self.end, self.tz)

    def _is_regular_week(self, day: date) -> bool:
        """Whether the UTC offset stays the same through the seven local days from ``day``.

        The first sample is just before the week, so a midnight lost in a DST gap (the clock jumping
        from 00:00 to 01:00) makes the week irregular. Sampling every two days is exact for tzdata: no
        zone has ever left an offset and come back to it in under 3.9 days (the shortest:
        Africa/Freetown, 1939; since 1970, 6.96 days, Brazil 2000 and Gaza).
        """
        begin = first_instant(day, time(0), self.tz)
        offset = (begin - _TINY).astimezone(self.tz).utcoffset()
        samples = (begin + timedelta(days=n) for n in (2, 4, 6, 7))
        return all(sample.astimezone(self.tz).utcoffset() == offset for sample in samples)


@dataclass(frozen=True)
class SlaPolicy:
    """Response targets per priority, optionally counted in business hours only.

    Priorities missing from ``targets`` keep their default target.
    """

    targets: Mapping[Priority, timedelta] = field(default_factory=lambda: dict(DEFAULT_TARGETS), hash=False)
    hours: BusinessHours | None = None  # None: the clock always runs
    warn_fraction: float = 0.75

    def __post_init__(self) -> None:
        merged = dict(DEFAULT_TARGETS)
        merged.update({Priority(Priority.parse(key)): value for key, value in self.targets.items()})
        for priority, target in merged.items():
            if target <= timedelta(0):
                raise InvalidInput(f"the SLA target for {priority} must be longer than zero")
        object.__setattr__(self, "targets", MappingProxyType(merged))
        if not 0 < self.warn_fraction <= 1:
            raise InvalidInput(f"the SLA warning fraction must be above 0 and at most 1, got {self.warn_fraction}")

    def target(self, priority: Priority) -> timedelta:
        """Return the response target of ``priority``."""
        return self.targets[Priority(Priority.parse(priority))]

    def due_at(self, waiting_since: datetime, priority: Priority) -> datetime:
        """Return when a ticket waiting since ``waiting_since`` breaches its target (UTC)."""
        return self._after(waiting_since, self.target(priority))

    def warning_at(self, waiting_since: datetime, priority: Priority) -> datetime:
        """Return when the warning is due: at ``warn_fraction`` of the target (UTC)."""
        return self._after(waiting_since, self.target(priority) * self.warn_fraction)

    def clock_start(self, at: datetime) -> datetime:
        """Return when a clock started at ``at`` begins to count: at once, or when business hours next open."""
        return self.hours.next_opening(at) if self.hours is not None else _utc(at)

    def reminder_after(self, due_at: datetime, priority: Priority, moment: datetime) -> tuple[int, datetime]:
        """The first breach reminder after ``moment``: ``(n, at)`` where ``at`` is ``n`` target periods (of SLA
        time) past ``due_at``. Reminders missed while nothing ran are skipped, never sent in a burst."""
        target = self.target(priority)
        n = self.elapsed(due_at, moment) // target + 1
        return n, self._after(due_at, target * n)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Return the SLA time between two instants: business time, or wall time without hours."""
        if self.hours is not None:
            return self.hours.elapsed(start, end)
        return max(_utc(end) - _utc(start), timedelta(0))

    def _after(self, start: datetime, duration: timedelta) -> datetime:
        if self.hours is not None:
            return self.hours.add(start, duration)
        return _utc(start) + duration


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


def first_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The first UTC instant at which the local clock on ``day`` shows ``at`` or later."""
    local = datetime.combine(day, at, tzinfo=tz)  # fold=0: the first of two, if the time repeats
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # `at` lies in a gap (clocks jumped forward). fold=1 maps it before the jump, fold=0 after it;
    # bisect for the jump itself (about 32 steps, only on the rare days with a gap).
    before, after = local.replace(fold=1).astimezone(UTC), instant
    offset_after = after.astimezone(tz).utcoffset()
    while after - before > _TINY:
        middle = before + (after - before) // 2
        if middle.astimezone(tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return after


def _parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"unknown time zone {_show(name)}; use an IANA name such as Europe/Berlin, America/New_York or UTC"
        ) from None


def _parse_weekdays(text: str) -> frozenset[int]:
    days: set[int] = set()
    for item in text.split(","):
        first, dash, last = item.partition("-")
        begin = _parse_weekday(first)
        end = _parse_weekday(last) if dash else begin
        days.update((begin + step) % 7 for step in range((end - begin) % 7 + 1))
    return frozenset(days)


def _parse_weekday(name: str) -> int:
    key = name.strip().lower()
    for names in (_DAY_NAMES, _FULL_DAY_NAMES):
        if key in names:
            return names.index(key)
    raise InvalidInput(
        f"unknown weekday {_show(name)}; use Mon, Tue, Wed, Thu, Fri, Sat, Sun, "
        "as a list (Mon,Wed) or a range (Mon-Fri)"
    )


def _parse_clock(text: str) -> time:
    match = _CLOCK.fullmatch(text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidInput(f"invalid time {_show(text)}; write 24-hour HH:MM between 00:00 and 23:59")
    return time(int(match[1]), int(match[2]))


def _show(text: object) -> str:
    """Quote user text for a message, shortened so a huge input does not flood it."""
    value = str(text)
    return repr(value if len(value) <= 40 else value[:37] + "...")
