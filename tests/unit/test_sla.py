"""SLA targets, business hours and DST: fixed instants only, never the real clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.model import Priority
from core.sla import DEFAULT_TARGETS, BusinessHours, SlaPolicy, parse_duration

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")
OFFICE = BusinessHours.parse("Europe/Berlin Mon-Fri 09:00-17:00")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def day_of(hours_: BusinessHours, *ymd: int) -> timedelta:
    """Business time of one whole local day, midnight to midnight."""
    day = date(*ymd)
    start = datetime.combine(day, time(0), tzinfo=hours_.tz)
    return hours_.elapsed(start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=hours_.tz))


# --- durations ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48h", hours(48)),
        ("90m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("45s", timedelta(seconds=45)),
        ("1w", timedelta(weeks=1)),
        ("1w2d3h4m5s", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        (" 1H 30M ", timedelta(hours=1, minutes=30)),
    ],
)
def test_parse_duration_reads_units(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "invalid duration ''; write a number and a unit"),
        ("48", "invalid duration '48'"),
        ("h", "invalid duration 'h'"),
        ("1.5h", "invalid duration '1.5h'"),
        ("30m1h", "largest first"),
        ("-1h", "invalid duration '-1h'"),
        ("2 days", "units: w, d, h, m, s"),
        ("0h", "the duration '0h' is zero"),
        ("0d0m", "is zero"),
        ("99999999999999w", "is too long"),
    ],
)
def test_parse_duration_rejects_bad_text_with_a_message(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_duration(text)


# --- targets without business hours ---------------------------------------------------------------


def test_default_targets_follow_the_product_table() -> None:
    assert DEFAULT_TARGETS == {
        Priority.LOW: hours(48),
        Priority.MEDIUM: hours(24),
        Priority.HIGH: hours(4),
        Priority.URGENT: hours(1),
    }


@pytest.mark.parametrize(
    ("priority", "due", "warning"),
    [
        (Priority.LOW, utc(2026, 11, 25, 10, 0), utc(2026, 11, 24, 22, 0)),
        (Priority.MEDIUM, utc(2026, 11, 24, 10, 0), utc(2026, 11, 24, 4, 0)),
        (Priority.HIGH, utc(2026, 11, 23, 14, 0), utc(2026, 11, 23, 13, 0)),
        (Priority.URGENT, utc(2026, 11, 23, 11, 0), utc(2026, 11, 23, 10, 45)),
    ],
)
def test_clock_always_runs_without_business_hours(priority: Priority, due: datetime, warning: datetime) -> None:
    policy = SlaPolicy()
    since = utc(2026, 11, 23, 10, 0)  # a Monday
    assert policy.target(priority) == DEFAULT_TARGETS[priority]
    assert policy.due_at(since, priority) == due
    assert policy.warning_at(since, priority) == warning
    assert policy.elapsed(since, due) == DEFAULT_TARGETS[priority]


def test_results_are_utc_whatever_zone_the_input_uses() -> None:
    since = datetime(2026, 11, 23, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    due = SlaPolicy().due_at(since, Priority.HIGH)
    assert due == utc(2026, 11, 23, 14, 0)
    assert due.tzinfo is UTC


def test_elapsed_is_zero_when_end_is_not_after_start() -> None:
    policy = SlaPolicy()
    assert policy.elapsed(utc(2026, 11, 23, 10), utc(2026, 11, 23, 9)) == timedelta(0)
    assert policy.elapsed(utc(2026, 11, 23, 10), utc(2026, 11, 23, 10)) == timedelta(0)
    assert SlaPolicy(hours=OFFICE).elapsed(utc(2026, 11, 23, 10), utc(2026, 11, 23, 9)) == timedelta(0)


def test_custom_targets_override_only_the_priorities_given() -> None:
    policy = SlaPolicy(targets={Priority.HIGH: hours(2)}, warn_fraction=0.5)
    assert policy.target(Priority.HIGH) == hours(2)
    assert policy.target(Priority.LOW) == hours(48)
    assert policy.warning_at(utc(2026, 11, 23, 10), Priority.HIGH) == utc(2026, 11, 23, 11)


def test_policy_is_immutable_and_does_not_share_the_defaults() -> None:
    policy = SlaPolicy()
    with pytest.raises(TypeError):
        policy.targets[Priority.LOW] = hours(1)  # type: ignore[index]
    assert DEFAULT_TARGETS[Priority.LOW] == hours(48)
    assert hash(policy) == hash(SlaPolicy())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"targets": {Priority.HIGH: timedelta(0)}}, "the SLA target for High must be longer than zero"),
        ({"targets": {Priority.LOW: -hours(1)}}, "the SLA target for Low must be longer than zero"),
        ({"targets": {"Critical": hours(1)}}, "unknown priority 'Critical'"),
        ({"warn_fraction": 0.0}, "warning fraction must be above 0 and at most 1"),
        ({"warn_fraction": 1.5}, "warning fraction must be above 0 and at most 1"),
    ],
)
def test_policy_rejects_bad_configuration(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        SlaPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "call",
    [
        lambda: SlaPolicy().due_at(datetime(2026, 11, 23, 10), Priority.LOW),
        lambda: SlaPolicy().warning_at(datetime(2026, 11, 23, 10), Priority.LOW),
        lambda: SlaPolicy().elapsed(datetime(2026, 11, 23, 10), utc(2026, 11, 23, 11)),
        lambda: OFFICE.add(datetime(2026, 11, 23, 10), hours(1)),
        lambda: OFFICE.elapsed(utc(2026, 11, 23, 10), datetime(2026, 11, 23, 11)),
    ],
)
def test_naive_datetimes_are_a_programming_error(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_negative_duration_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        OFFICE.add(utc(2026, 11, 23, 10), -hours(1))


# --- parsing business hours -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tz", "weekdays", "start", "end"),
    [
        ("Europe/Berlin Mon-Fri 09:00-17:00", "Europe/Berlin", {0, 1, 2, 3, 4}, time(9), time(17)),
        ("UTC Mon,Wed,Fri 08:30-12:00", "UTC", {0, 2, 4}, time(8, 30), time(12)),
        ("America/New_York sat-sun 7:05-9:00", "America/New_York", {5, 6}, time(7, 5), time(9)),
        ("UTC Fri-Mon 00:00-23:59", "UTC", {4, 5, 6, 0}, time(0), time(23, 59)),
        ("UTC Monday,Tuesday-Wednesday 10:00-11:00", "UTC", {0, 1, 2}, time(10), time(11)),
    ],
)
def test_business_hours_parse(text: str, tz: str, weekdays: set[int], start: time, end: time) -> None:
    parsed = BusinessHours.parse(text)
    assert parsed == BusinessHours(ZoneInfo(tz), frozenset(weekdays), start, end)
    assert BusinessHours.parse(str(parsed)) == parsed


def test_business_hours_print_canonically() -> None:
    assert str(BusinessHours.parse("Europe/Berlin mon,tue,wed,thu,fri 9:00-17:00")) == (
        "Europe/Berlin Mon-Fri 09:00-17:00"
    )
    assert str(BusinessHours.parse("UTC Fri-Mon 08:30-12:00")) == "UTC Mon,Fri-Sun 08:30-12:00"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "invalid business hours ''; write a time zone, days and hours"),
        ("Mon-Fri 09:00-17:00", "write a time zone, days and hours, e.g. Europe/Berlin Mon-Fri 09:00-17:00"),
        ("Mars/Olympus Mon-Fri 09:00-17:00", "unknown time zone 'Mars/Olympus'; use an IANA name"),
        ("Europe Mon-Fri 09:00-17:00", "unknown time zone 'Europe'"),
        ("../etc Mon-Fri 09:00-17:00", "unknown time zone '../etc'"),
        ("UTC Mon-Fry 09:00-17:00", "unknown weekday 'Fry'; use Mon, Tue"),
        ("UTC Mon,,Fri 09:00-17:00", "unknown weekday ''"),
        ("UTC Mon-Fri 0900-1700", "invalid time '0900'; write 24-hour HH:MM"),
        ("UTC Mon-Fri 09:00", "invalid hours '09:00'; write opening-closing"),
        ("UTC Mon-Fri 09:00-24:00", "invalid time '24:00'"),
        ("UTC Mon-Fri 09:60-17:00", "invalid time '09:60'"),
        ("UTC Mon-Fri 17:00-09:00", "must open before they close, got 17:00-09:00"),
        ("UTC Mon-Fri 09:00-09:00", "must open before they close"),
    ],
)
def test_business_hours_parse_errors_name_the_wrong_part(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace(".", r"\.")):
        BusinessHours.parse(text)


def test_business_hours_need_a_weekday() -> None:
    with pytest.raises(InvalidInput, match="at least one weekday"):
        BusinessHours(UTC_ZONE, frozenset(), time(9), time(17))
    with pytest.raises(InvalidInput, match="at least one weekday"):
        BusinessHours(UTC_ZONE, frozenset({7}), time(9), time(17))


# --- counting inside business hours (Berlin office, Mon-Fri 09:00-17:00, CET in November) -----------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        pytest.param(berlin(2026, 11, 24, 10), hours(4), berlin(2026, 11, 24, 14), id="inside"),
        pytest.param(berlin(2026, 11, 24, 7), hours(1), berlin(2026, 11, 24, 10), id="before-opening"),
        pytest.param(berlin(2026, 11, 24, 18), hours(1), berlin(2026, 11, 25, 10), id="after-closing"),
        pytest.param(berlin(2026, 11, 24, 17), hours(1), berlin(2026, 11, 25, 10), id="at-closing"),
        pytest.param(berlin(2026, 11, 24, 13), hours(4), berlin(2026, 11, 24, 17), id="ends-at-closing"),
        pytest.param(berlin(2026, 11, 27, 16), hours(4), berlin(2026, 11, 30, 12), id="over-weekend"),
        pytest.param(berlin(2026, 11, 28, 11), hours(1), berlin(2026, 11, 30, 10), id="from-saturday"),
        pytest.param(berlin(2026, 11, 24, 10), hours(80), berlin(2026, 12, 8, 10), id="two-weeks"),
        pytest.param(berlin(2026, 11, 28, 11), timedelta(0), berlin(2026, 11, 28, 11), id="zero"),
    ],
)
def test_add_counts_only_business_hours(start: datetime, duration: timedelta, expected: datetime) -> None:
    result = OFFICE.add(start, duration)
    assert result == expected
    assert result.tzinfo is UTC
    assert OFFICE.elapsed(start, result) == duration


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(berlin(2026, 11, 27, 16), berlin(2026, 11, 30, 10), hours(2), id="over-weekend"),
        pytest.param(berlin(2026, 11, 28, 9), berlin(2026, 11, 29, 18), hours(0), id="weekend-only"),
        pytest.param(berlin(2026, 11, 24, 17), berlin(2026, 11, 25, 9), hours(0), id="night-only"),
        pytest.param(berlin(2026, 11, 24, 6), berlin(2026, 11, 24, 20), hours(8), id="whole-day"),
        pytest.param(berlin(2026, 11, 24, 10), berlin(2026, 11, 24, 10, 30), hours(0.5), id="inside"),
        pytest.param(berlin(2026, 11, 2, 0), berlin(2026, 11, 30, 0), hours(160), id="four-weeks"),
    ],
)
def test_elapsed_counts_only_business_hours(start: datetime, end: datetime, expected: timedelta) -> None:
    assert OFFICE.elapsed(start, end) == expected


@pytest.mark.parametrize(
    ("priority", "due", "warning"),
    [
        (Priority.URGENT, berlin(2026, 11, 27, 17), berlin(2026, 11, 27, 16, 45)),
        (Priority.HIGH, berlin(2026, 11, 30, 12), berlin(2026, 11, 30, 11)),
        (Priority.MEDIUM, berlin(2026, 12, 2, 16), berlin(2026, 12, 2, 10)),
        (Priority.LOW, berlin(2026, 12, 7, 16), berlin(2026, 12, 4, 12)),
    ],
)
def test_policy_with_business_hours_for_every_priority(priority: Priority, due: datetime, warning: datetime) -> None:
    policy = SlaPolicy(hours=OFFICE)
    since = berlin(2026, 11, 27, 16)  # Friday, one business hour left this week
    assert policy.due_at(since, priority) == due
    assert policy.warning_at(since, priority) == warning
    assert policy.elapsed(since, due) == policy.target(priority)


# --- daylight saving time -------------------------------------------------------------------------
# Berlin 2026: clocks 02:00 -> 03:00 on Sun 29 March, 03:00 -> 02:00 on Sun 25 October.
# New York 2026: clocks 02:00 -> 03:00 on Sun 8 March, 02:00 -> 01:00 on Sun 1 November.


@pytest.mark.parametrize(
    ("spec", "day"),
    [
        ("Europe/Berlin Mon-Sun 09:00-17:00", (2026, 3, 29)),
        ("Europe/Berlin Mon-Sun 09:00-17:00", (2026, 10, 25)),
        ("America/New_York Mon-Sun 09:00-17:00", (2026, 3, 8)),
        ("America/New_York Mon-Sun 09:00-17:00", (2026, 11, 1)),
    ],
)
def test_a_nine_to_five_day_is_eight_hours_on_dst_change_days(spec: str, day: tuple[int, int, int]) -> None:
    assert day_of(BusinessHours.parse(spec), *day) == hours(8)


@pytest.mark.parametrize(
    ("spec", "day", "expected"),
    [
        ("Europe/Berlin Sun 00:00-06:00", (2026, 3, 29), hours(5)),
        ("Europe/Berlin Sun 00:00-06:00", (2026, 10, 25), hours(7)),
        ("America/New_York Sun 00:00-06:00", (2026, 3, 8), hours(5)),
        ("America/New_York Sun 00:00-06:00", (2026, 11, 1), hours(7)),
        # the clock never shows 02:00-02:45 in Berlin that day: no hours at all
        ("Europe/Berlin Sun 02:00-02:45", (2026, 3, 29), hours(0)),
        # opening swallowed by the gap: open from the jump (03:00) to 04:00
        ("Europe/Berlin Sun 02:30-04:00", (2026, 3, 29), hours(1)),
        ("America/New_York Sun 02:15-03:30", (2026, 3, 8), hours(0.5)),
        # 02:30 happens twice: the first one opens; 05:00 closes after the repeated hour
        ("Europe/Berlin Sun 02:30-05:00", (2026, 10, 25), hours(3.5)),
        ("America/New_York Sun 01:30-03:00", (2026, 11, 1), hours(2.5)),
    ],
)
def test_hours_spanning_a_transition_count_real_time(spec: str, day: tuple[int, int, int], expected: timedelta) -> None:
    assert day_of(BusinessHours.parse(spec), *day) == expected


def test_opening_in_a_gap_starts_when_the_clock_jumps() -> None:
    hours_ = BusinessHours.parse("Europe/Berlin Sun 02:30-04:00")
    assert hours_.add(berlin(2026, 3, 28, 12), timedelta(minutes=1)) == utc(2026, 3, 29, 1, 1)


def test_a_day_whose_hours_fall_in_a_gap_is_skipped() -> None:
    hours_ = BusinessHours.parse("Europe/Berlin Sun 02:00-02:45")
    due = hours_.add(berlin(2026, 3, 28, 12), timedelta(minutes=30))
    assert due == berlin(2026, 4, 5, 2, 30)  # the next Sunday
    assert due == utc(2026, 4, 5, 0, 30)


@pytest.mark.parametrize(
    ("spec", "start", "expected"),
    [
        ("Europe/Berlin Mon-Fri 09:00-17:00", berlin(2026, 3, 27, 16), utc(2026, 3, 30, 10)),
        ("Europe/Berlin Mon-Fri 09:00-17:00", berlin(2026, 10, 23, 16), utc(2026, 10, 26, 11)),
        ("America/New_York Mon-Fri 09:00-17:00", new_york(2026, 3, 6, 16), utc(2026, 3, 9, 16)),
        ("America/New_York Mon-Fri 09:00-17:00", new_york(2026, 10, 30, 16), utc(2026, 11, 2, 17)),
    ],
)
def test_add_across_a_dst_weekend(spec: str, start: datetime, expected: datetime) -> None:
    hours_ = BusinessHours.parse(spec)
    assert hours_.add(start, hours(4)) == expected
    assert hours_.elapsed(start, expected) == hours(4)


@pytest.mark.parametrize(
    ("spec", "start"),
    [
        # two offset changes 6.96 days apart (October 2000): a week that looks regular at its ends
        ("America/Recife Mon-Sun 00:00-12:00", utc(2000, 9, 1)),
        ("Asia/Gaza Mon-Sun 00:00-03:00", utc(2040, 9, 1)),
        # Gaza sprang forward at midnight in 2001: the week's first opening fell in the gap
        ("Asia/Gaza Mon-Sun 00:00-03:00", utc(2000, 9, 1)),
        ("Europe/Berlin Mon-Sun 01:00-04:00", utc(2026, 1, 1)),
        ("Australia/Lord_Howe Mon-Fri 01:00-03:00", utc(2026, 1, 1)),
    ],
)
def test_long_spans_equal_the_sum_of_their_days(spec: str, start: datetime) -> None:
    hours_ = BusinessHours.parse(spec)
    end = start + timedelta(days=400)
    daily = sum(
        (hours_.elapsed(start + timedelta(days=n), start + timedelta(days=n + 1)) for n in range(400)),
        timedelta(0),
    )
    assert hours_.elapsed(start, end) == daily
    assert hours_.add(start, daily) <= end
    assert hours_.elapsed(start, hours_.add(start, daily)) == daily


# --- properties -----------------------------------------------------------------------------------

SPECS = [
    "Europe/Berlin Mon-Fri 09:00-17:00",
    "America/New_York Mon-Sun 00:00-06:00",
    "Europe/Berlin Sun 02:00-02:45",
    "America/New_York Sun 02:15-03:30",
    "UTC Mon,Wed,Fri 08:30-12:00",
    "Australia/Lord_Howe Mon-Fri 01:00-03:00",
    "Asia/Gaza Mon-Sun 00:00-03:00",
]
instants = st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2045, 1, 1), timezones=st.just(UTC))
durations = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=30))
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))


@settings(max_examples=200, deadline=None)
@given(spec=st.sampled_from(SPECS), start=instants, duration=durations)
def test_elapsed_after_add_is_the_duration(spec: str, start: datetime, duration: timedelta) -> None:
    hours_ = BusinessHours.parse(spec)
    due = hours_.add(start, duration)
    assert due > start
    assert hours_.elapsed(start, due) == duration
    assert hours_.elapsed(start, due - timedelta(microseconds=1)) < duration  # the first such instant


@settings(max_examples=200, deadline=None)
@given(spec=st.sampled_from(SPECS), a=instants, first=spans, second=spans)
def test_elapsed_is_additive(spec: str, a: datetime, first: timedelta, second: timedelta) -> None:
    hours_ = BusinessHours.parse(spec)
    b, c = a + first, a + first + second
    assert hours_.elapsed(a, c) == hours_.elapsed(a, b) + hours_.elapsed(b, c)
    assert hours_.elapsed(a, c) <= c - a
