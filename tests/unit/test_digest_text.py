"""The digest's window and its text: local calendar days, every figure labelled, durations in words."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.digest import (
    Breach,
    DayFigures,
    Digest,
    SlaCount,
    day_bounds,
    digest_day,
    digest_text,
    series_days,
)
from core.model import Actor, Priority, Status, Ticket
from core.render import duration
from core.stats import Stats

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # Thursday 09:00 in Berlin
ANN = Actor(platform="discord", user_id="1", name="Ann")


def ticket(tid: str, subject: str, priority: Priority, status: Status = Status.OPEN, **kw: datetime) -> Ticket:
    created = kw.pop("created_at", datetime(2026, 11, 20, 9, 5, tzinfo=UTC))
    return Ticket(tid, subject, "Technical", priority, status, ANN, created, created, **kw)  # type: ignore[arg-type]


def sample(**changes: object) -> Digest:
    days = series_days(NOW, BERLIN)
    days[-1] = replace(days[-1], opened=37, closed=29, sla=SlaCount(met=31, decided=34))
    days[-2] = replace(days[-2], opened=12, closed=8, sla=SlaCount(met=9, decided=10))
    late = ticket("TKT-B3X9C", "Printer *on* fire <!channel>", Priority.HIGH, Status.PENDING,
                  first_response_at=datetime(2026, 11, 25, 13, 5, tzinfo=UTC))  # fmt: skip
    due = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    waiting = ticket("TKT-C4Y8D", "Cannot log in", Priority.URGENT, sla_due_at=due)
    digest = Digest(
        tz=BERLIN,
        generated_at=NOW,
        series=tuple(days),
        first_responses=22,
        avg_first_response=timedelta(hours=2, minutes=10, seconds=40),
        avg_resolution=timedelta(days=1, hours=3, minutes=5),
        sla_by_priority={
            Priority.URGENT: SlaCount(1, 2),
            Priority.HIGH: SlaCount(4, 5),
            Priority.MEDIUM: SlaCount(26, 27),
            Priority.LOW: SlaCount(0, 0),
        },
        breaches=(Breach(waiting, still_waiting=True), Breach(late, still_waiting=False)),
        ratings=7,
        csat_average=4.285,
        oldest_open=(
            ticket(
                "TKT-D5Z7F",
                "Old one",
                Priority.LOW,
                Status.PENDING,
                created_at=datetime(2025, 12, 30, 23, 30, tzinfo=UTC),
            ),  # fmt: skip
        ),
        all_time=Stats(
            total=1234, open=12, pending=5, closed=1217, sla_attainment=0.9049, csat_average=4.21, csat_count=300
        ),  # fmt: skip
    )
    return replace(digest, **changes)  # type: ignore[arg-type]


def test_the_window_is_the_last_complete_local_calendar_day() -> None:
    assert digest_day(NOW, BERLIN) == date(2026, 11, 25)
    # 00:30 in Berlin is still the previous evening in UTC: the local date decides
    assert digest_day(datetime(2026, 11, 25, 23, 30, tzinfo=UTC), BERLIN) == date(2026, 11, 25)
    assert digest_day(datetime(2026, 11, 25, 22, 59, tzinfo=UTC), BERLIN) == date(2026, 11, 24)
    days = series_days(NOW, BERLIN)
    assert len(days) == 14 and days[0].day == date(2026, 11, 12) and days[-1].day == date(2026, 11, 25)
    assert all(a.end == b.start for a, b in zip(days, days[1:], strict=False))  # no gap, no overlap
    with pytest.raises(ValueError, match="naive"):
        digest_day(datetime(2026, 11, 26, 9, 0), BERLIN)


@pytest.mark.parametrize(
    ("zone", "day", "start", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), datetime(2026, 3, 28, 23, tzinfo=UTC), 23),
        ("Europe/Berlin", date(2026, 10, 25), datetime(2026, 10, 24, 22, tzinfo=UTC), 25),
        ("Europe/Berlin", date(2026, 10, 26), datetime(2026, 10, 25, 23, tzinfo=UTC), 24),
        ("America/New_York", date(2026, 11, 1), datetime(2026, 11, 1, 4, tzinfo=UTC), 25),
        # Chile's clocks jump from 00:00 to 01:00: the day starts at the jump
        ("America/Santiago", date(2026, 9, 6), datetime(2026, 9, 6, 4, tzinfo=UTC), 23),
    ],
)
def test_day_bounds_on_clock_change_days(zone: str, day: date, start: datetime, hours: int) -> None:
    begin, end = day_bounds(day, ZoneInfo(zone))
    assert (begin, end - begin) == (start, timedelta(hours=hours))


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(0), "0 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=12, seconds=59), "12 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=2, minutes=10, seconds=40), "2 h 10 min"),
        (timedelta(days=1), "1 d"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
    ],
)
def test_durations_in_words(delta: timedelta, words: str) -> None:
    assert duration(delta) == words


def test_text_shows_every_figure_with_its_label() -> None:
    text = digest_text(sample())
    expected = [
        "Daily digest for Wednesday 25 November 2026 (Europe/Berlin)",
        "Tickets: 37 opened · 29 closed · waiting now: 12 open, 5 pending",
        "Average first response: 2 h 10 min over 22 first responses",
        "Average resolution: 1 d 3 h over 29 closed tickets",
        "SLA attainment: 91% (31 of 34 met)",
        "- Urgent: 50% (1 of 2 met)",
        "- High: 80% (4 of 5 met)",
        "- Medium: 96% (26 of 27 met)",
        "- Low: no response targets decided",
        "CSAT: 4.3 / 5 from 7 ratings",
        "SLA breaches: 3",
        "- `TKT-C4Y8D` Urgent · Cannot log in — no response yet, due 11:00",
        "- `TKT-B3X9C` High · Printer *on* fire <!channel> — answered late at 14:05",
        "- and 1 more",
        "Oldest waiting tickets (1):",
        "- `TKT-D5Z7F` Pending · Low · Old one — waiting 330 d 8 h, opened Wed 31 Dec 2025 00:30",
        "Last 14 days: 49 opened · 37 closed · SLA attainment 90% (40 of 44 met)",
        "All time: 1,234 tickets · SLA attainment 90% · CSAT 4.2 / 5 from 300 ratings",
        "Generated Thu 26 Nov 09:00 (Europe/Berlin)",
    ]
    assert text.splitlines() == expected


def test_text_says_so_when_there_is_nothing_to_report() -> None:
    days = tuple(DayFigures(d.day, d.start, d.end) for d in series_days(NOW, BERLIN))
    quiet = sample(
        series=days, first_responses=0, avg_first_response=None, avg_resolution=None, breaches=(), ratings=0,
        csat_average=None, oldest_open=(), sla_by_priority={p: SlaCount() for p in Priority},
        all_time=Stats(),
    )  # fmt: skip
    text = digest_text(quiet)
    for line in (
        "Tickets: 0 opened · 0 closed · waiting now: 0 open, 0 pending",
        "Average first response: no first responses given",
        "Average resolution: no tickets closed",
        "SLA attainment: no response targets decided",
        "CSAT: no ratings",
        "SLA breaches: none, no response target was missed",
        "Oldest waiting tickets: none, nothing is open or pending",
        "All time: 0 tickets · SLA attainment none decided · CSAT no ratings",
    ):
        assert line in text.splitlines()


def test_one_miss_never_rounds_up_to_100_percent() -> None:
    days = series_days(NOW, BERLIN)
    days[-1] = replace(days[-1], sla=SlaCount(met=999, decided=1000))
    assert "SLA attainment: 99% (999 of 1,000 met)" in digest_text(sample(series=tuple(days)))


def test_subjects_go_through_the_platforms_escape() -> None:
    text = digest_text(sample(), escape=lambda s: s.replace("<", "&lt;").replace("*", "\\*"))
    assert "Printer \\*on\\* fire &lt;!channel>" in text
    assert "<!channel>" not in text


def test_a_long_subject_is_shortened() -> None:
    long = ticket("TKT-F6B2G", "x" * 150, Priority.LOW)
    text = digest_text(sample(oldest_open=(long,)))
    assert "x" * 59 + "…" in text and "x" * 60 not in text


def test_importing_core_does_not_import_matplotlib() -> None:
    code = (
        "import sys, core.digest, core.chart, core.storage.digest, core.desk, core.texts\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
