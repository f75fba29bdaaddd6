"""The search query language: examples, every error with its message, and properties."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.ids import ALPHABET
from core.model import Priority, Status
from core.search import DateRange, SearchQuery, format_query, parse_query

NOW = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # a Thursday
BERLIN = ZoneInfo("Europe/Berlin")
CATEGORIES = ("Technical", "Billing", "General", "Feature Request", "Q&A")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def parse(text: str, **kwargs: object) -> SearchQuery:
    return parse_query(text, now=NOW, categories=CATEGORIES, **kwargs)  # type: ignore[arg-type]


def days(first: tuple[int, int, int] | None, last: tuple[int, int, int] | None) -> DateRange:
    """UTC whole days ``first`` to ``last``, both included."""
    return DateRange(
        utc(*first) if first else None,
        utc(*last) + timedelta(days=1) if last else None,
    )


EXAMPLES: list[tuple[str, SearchQuery]] = [
    (
        'login error status:open priority:high,urgent category:technical created:2026-11-01..2026-11-26 "500 error"',
        SearchQuery(
            terms=("login", "error"),
            phrases=("500 error",),
            statuses=frozenset({Status.OPEN}),
            priorities=frozenset({Priority.HIGH, Priority.URGENT}),
            categories=frozenset({"Technical"}),
            created=days((2026, 11, 1), (2026, 11, 26)),
        ),
    ),
    ("", SearchQuery()),
    ("   \t ", SearchQuery()),
    ("Login ERROR", SearchQuery(terms=("login", "error"))),
    (
        "can't e-mail v2.1 500-error help! AT&T",
        SearchQuery(terms=("can't", "e-mail", "v2.1", "500-error", "help!", "at&t")),
    ),
    ("error Error ERROR", SearchQuery(terms=("error",))),
    ("log* Error LOG* pass2*", SearchQuery(terms=("error",), prefixes=("log", "pass2"))),
    ("Grü* 東京*", SearchQuery(prefixes=("grü", "東京"))),
    ('"log*"', SearchQuery(phrases=("log*",))),
    ("Grüße ĞÜŞ 東京 ß", SearchQuery(terms=("grüße", "ğüş", "東京", "ß"))),
    ("TKT-B3X9C tkt-c4d5f", SearchQuery(ids=("TKT-B3X9C", "TKT-C4D5F"))),
    ("b3x9c crypt", SearchQuery(terms=("b3x9c", "crypt"))),  # only the TKT- form of a bare word is an id
    ("id:b3x9c,TKT-C4D5F tkt-b3x9c", SearchQuery(ids=("TKT-B3X9C", "TKT-C4D5F"))),
    ("Status:Open STATUS:pending", SearchQuery(statuses=frozenset({Status.OPEN, Status.PENDING}))),
    ("priority:LOW,medium", SearchQuery(priorities=frozenset({Priority.LOW, Priority.MEDIUM}))),
    ('category:"feature request",q&a', SearchQuery(categories=frozenset({"Feature Request", "Q&A"}))),
    ('requester:"Ann   Lee",U123 assignee:ME', SearchQuery(requesters=("Ann Lee", "U123"), assignees=("me",))),
    ("assignee:None assignee:U9", SearchQuery(assignees=("none", "U9"))),
    ("requester:<@U123|ann> requester:a:b", SearchQuery(requesters=("<@U123|ann>", "a:b"))),
    ('"  Hello   World " "hello world"', SearchQuery(phrases=("hello world",))),
    ('"c++" "NEAR(x)" "status:open"', SearchQuery(phrases=("c++", "near(x)", "status:open"))),
    ('say"hi there"now', SearchQuery(terms=("say", "now"), phrases=("hi there",))),
    ("\u201c500 error\u201d", SearchQuery(phrases=("500 error",))),
    ("created:2026-11-01", SearchQuery(created=days((2026, 11, 1), (2026, 11, 1)))),
    ("created:..2026-11-26", SearchQuery(created=days(None, (2026, 11, 26)))),
    ("created:2026-11-01..", SearchQuery(created=days((2026, 11, 1), None))),
    ("created:>=2026-11-01", SearchQuery(created=days((2026, 11, 1), None))),
    ("created:>2026-11-01", SearchQuery(created=days((2026, 11, 2), None))),
    ("created:<=2026-11-26", SearchQuery(created=days(None, (2026, 11, 26)))),
    ("created:<2026-11-26", SearchQuery(created=days(None, (2026, 11, 25)))),
    ("created:2026-11-26..2026-11-26", SearchQuery(created=days((2026, 11, 26), (2026, 11, 26)))),
    ("created:7d", SearchQuery(created=DateRange(utc(2026, 11, 19, 15, 30), None))),
    ("created:24H", SearchQuery(created=DateRange(utc(2026, 11, 25, 15, 30), None))),
    ("created:2w", SearchQuery(created=DateRange(utc(2026, 11, 12, 15, 30), None))),
    ("created:1y", SearchQuery(created=DateRange(utc(2025, 11, 26, 15, 30), None))),
    ("closed:3Y", SearchQuery(closed=DateRange(utc(2023, 11, 26, 15, 30), None))),
    ("created:today", SearchQuery(created=days((2026, 11, 26), (2026, 11, 26)))),
    ("closed:yesterday", SearchQuery(closed=days((2026, 11, 25), (2026, 11, 25)))),
    ("created:yesterday..today", SearchQuery(created=days((2026, 11, 25), (2026, 11, 26)))),
    ("closed:2026-11-01T09:30Z..", SearchQuery(closed=DateRange(utc(2026, 11, 1, 9, 30), None))),
    ("closed:<2026-11-01t09:30:15+01:00", SearchQuery(closed=DateRange(None, utc(2026, 11, 1, 8, 30, 15)))),
    (
        "closed:2026-11-01T09:00..2026-11-01T17:00",
        SearchQuery(closed=DateRange(utc(2026, 11, 1, 9), utc(2026, 11, 1, 17) + timedelta(microseconds=1))),
    ),
    ('created:"2026-11-01..2026-11-02"', SearchQuery(created=days((2026, 11, 1), (2026, 11, 2)))),
]


@pytest.mark.parametrize(("text", "expected"), EXAMPLES)
def test_examples(text: str, expected: SearchQuery) -> None:
    assert parse(text) == expected
    assert parse(format_query(expected)) == expected


def test_empty_query_is_empty() -> None:
    assert parse("").is_empty()
    assert not parse("status:open").is_empty()
    assert not parse("created:7d").is_empty()


def test_years_are_calendar_years_in_the_callers_zone() -> None:
    leap_day = datetime(2028, 2, 29, 12, tzinfo=UTC)
    assert parse_query("created:1y", now=leap_day).created == DateRange(utc(2027, 2, 28, 12), None)
    assert parse_query("created:4y", now=leap_day).created == DateRange(utc(2024, 2, 29, 12), None)
    summer = datetime(2026, 7, 1, 10, tzinfo=UTC)  # 12:00 in Berlin (CEST); a year before is 12:00 CEST too
    assert parse_query("closed:1y", now=summer, tz=BERLIN).closed == DateRange(utc(2025, 7, 1, 10), None)


def test_dates_are_whole_days_in_the_callers_zone() -> None:
    query = parse("created:2026-11-01 closed:2026-10-25", tz=BERLIN)
    assert query.created == DateRange(utc(2026, 10, 31, 23), utc(2026, 11, 1, 23))
    assert query.closed == DateRange(utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))  # 25 h: clocks went back


def test_today_is_the_callers_local_day() -> None:
    late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # already the 27th in Berlin
    query = parse_query("created:today", now=late, tz=BERLIN)
    assert query.created == DateRange(utc(2026, 11, 26, 23), utc(2026, 11, 27, 23))


def test_instants_without_offset_are_local_time() -> None:
    assert parse("created:2026-11-01T09:30..", tz=BERLIN).created == DateRange(utc(2026, 11, 1, 8, 30), None)


def test_format_query_is_canonical() -> None:
    query = parse(
        'Closed:2026-11-03 "Ann" tkt-b3x9c assignee:none,"Bo Li" category:billing,technical '
        "priority:urgent,low status:closed,open Log* login"
    )
    assert format_query(query) == (
        'login "ann" log* TKT-B3X9C status:open,closed priority:low,urgent category:Billing,Technical '
        'assignee:none,"Bo Li" closed:2026-11-03'
    )
    assert format_query(parse("created:7d")) == "created:2026-11-19T15:30:00Z.."
    assert format_query(parse("created:2026-11-01..2026-11-26", tz=BERLIN), tz=BERLIN) == (
        "created:2026-11-01..2026-11-26"
    )


ERRORS = [
    ('say "hi', 'unbalanced quote: a " is never closed; add the closing " or remove it'),
    ('requester:"Ann Lee', "unbalanced quote"),
    (
        "foo:bar",
        "unknown field 'foo:'; use one of status:, priority:, category:, requester:, assignee:, id:, "
        "created:, closed: or put the text in quotes to search for it",
    ),
    ("https://example.com", "unknown field 'https:'"),
    ("status:", "status: needs a value; write it without spaces, e.g. status:open"),
    ('status:""', "status: needs a value"),
    (
        "status:open,",
        "'status:open,' ends with a comma; list the values without spaces, e.g. status:open,pending, "
        "or remove the comma",
    ),
    (
        "priority:high, urgent",
        "'priority:high,' ends with a comma; list the values without spaces, e.g. priority:high,urgent",
    ),
    ('requester:"Ann Lee",', "ends with a comma; list the values without spaces, e.g. requester:ann,bob"),
    ("status:,open", "status: has an empty value in its list; write it without spaces, e.g. status:open"),
    ("status:open,,closed", "status: has an empty value in its list"),
    ("created:7d,", "created: takes one date or range"),
    ("status:solved", "unknown status 'solved'; choose one of Open, Pending, Closed"),
    ("priority:critical", "unknown priority 'critical'; choose one of Low, Medium, High, Urgent"),
    ("category:sales", "unknown category 'sales'; choose one of Technical, Billing, General, Feature Request, Q&A"),
    ("id:abc", "'abc' is not a ticket id; ids look like TKT-B3X9C"),
    ("id:TKT-AEIOU", "'TKT-AEIOU' is not a ticket id"),
    (
        "created:2026-11-26..2026-11-01",
        "created: the range '2026-11-26..2026-11-01' ends before it starts; put the earlier date first",
    ),
    ("closed:>2026-11-01T10:00..", "closed: '2026-11-01t10:00..' is not a date"),
    ("created:2026-13-01", "created: '2026-13-01' is not a valid date, or it is out of range"),
    ("created:2026-02-30", "is not a valid date"),
    ("created:2026-11-01T25:00Z", "is not a valid date"),
    ("created:9999-12-31", "is out of range"),
    ("created:999999w", "is out of range"),
    ("created:2000y", "is out of range"),
    ("created:999999y", "created: '999999y' is not a valid date, or it is out of range"),
    ("created:0y", "created: 0y is an empty period; count from 1, e.g. created:7d"),
    ("created:1850-01-01", "created: '1850-01-01' is out of range; use dates from 1900 to 2999"),
    ("closed:<0001-01-01T00:00Z", "is out of range"),
    (
        "created:last-week",
        "created: 'last-week' is not a date; write YYYY-MM-DD, a range A..B, >=A, <B, today, yesterday, "
        "or 24h / 7d / 2w / 1y for the last hours, days, weeks or years",
    ),
    ("created:7d..", "created: '7d' is not a date"),
    ("created:>=", "created: '' is not a date"),
    ("created:..", "created: .. needs a start, an end or both, e.g. created:2026-11-01.."),
    ("closed:0d", "closed: 0d is an empty period; count from 1, e.g. closed:7d"),
    ("created:2026-11-01 created:2026-11-02", "created: takes one date or range, e.g. created:2026-11-01..2026-11-26"),
    ("created:2026-11-01,2026-11-02", "created: takes one date or range"),
    (
        "err*or",
        "'err*or' contains *, which search does not understand; "
        "put the word in quotes to search for it as text, or remove it",
    ),
    ("error**", "'error**' contains *,"),
    ("*error", "'*error' contains *,"),
    ("l*", "'l*': a prefix needs at least 2 letters or digits before the *, e.g. log*"),
    ("*", "'*': a prefix needs at least 2 letters or digits"),
    (
        "e-mail*",
        "'e-mail*': a prefix search takes letters and digits only before the *, e.g. log*; "
        "put the word in quotes to search for it as text",
    ),
    ("(login", "'(login' contains (,"),
    ("NEAR(a", "contains (,"),
    ("a^2", "contains ^,"),
    ("{subject}", "contains { },"),
    (":foo", "':foo' contains :,"),
    ("login OR logout", "OR is not supported: every word must match. To search for the word, write it in lower case"),
    ("NOT", "NOT is not supported"),
    ("-refund", "'-refund': excluding words is not supported; remove the leading -"),
    ("...", "'...' has no letters or digits to search for; remove it"),
    ("🎉", "has no letters or digits to search for"),
    ('""', 'empty quotes ""; put words between them or remove them'),
    ('"!!!"', 'the phrase "!!!" has no letters or digits to search for; remove it'),
    ("x" * 501, "the query is 501 characters long; at most 500 are allowed"),
    ("a\x00b", "the query contains the control character U+0000; remove it"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse(text)


def test_long_words_are_shortened_in_messages() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse("*" * 300)
    assert "*" * 50 not in str(caught.value)
    assert len(str(caught.value)) < 200


def test_query_of_exactly_500_characters_is_allowed() -> None:
    assert parse("x" * 500).terms == ("x" * 500,)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_query("created:today", now=datetime(2026, 11, 26))


# --- properties -----------------------------------------------------------------------------------

ZONES: list[tzinfo] = [UTC, BERLIN, ZoneInfo("America/New_York"), timezone(timedelta(hours=14))]
FRAGMENTS = [
    '"',
    " ",
    ":",
    ",",
    "..",
    ">=",
    "<",
    "*",
    "(",
    "-",
    "status:",
    "priority:",
    "category:",
    "requester:",
    "assignee:",
    "id:",
    "created:",
    "closed:",
    "open",
    "high",
    "billing",
    "me",
    "none",
    "b3x9c",
    "TKT-B3X9C",
    "2026-11-01",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "T09:30Z",
    "7d",
    "0h",
    "1y",
    "y",
    "log*",
    "*",
    "today",
    "OR",
    "\u201c",
    "\u00df",
    "\u0130",
    "\u03a3",
    "\ufb01",
    "\u200d",
    "\x1c",
    "\u2028",
]
texts = st.one_of(
    st.text(max_size=120),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=20).map("".join),
)
nows = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@settings(max_examples=200, deadline=None)
@given(text=texts, now=nows, tz=st.sampled_from(ZONES))
def test_any_text_parses_or_raises_invalid_input(text: str, now: datetime, tz: tzinfo) -> None:
    try:
        query = parse_query(text, now=now, categories=CATEGORIES, tz=tz)
    except InvalidInput as exc:
        assert str(exc)
        return
    canonical = format_query(query, tz=tz)
    assume(len(canonical) <= 500)
    assert parse_query(canonical, now=now, categories=CATEGORIES, tz=tz) == query


SMART = "\u201c\u201d\u201e"
words = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9'.&!\-]{0,8}", fullmatch=True),
    st.text(st.characters(categories=("Ll", "Lo", "Nd")), min_size=1, max_size=6).filter(lambda w: w == w.lower()),
).filter(lambda w: not re.fullmatch(rf"tkt-[{ALPHABET}]{{5}}", w, re.IGNORECASE))
phrases = st.builds(
    lambda first, rest: " ".join([first, *rest]),
    words,
    st.lists(st.one_of(words, st.sampled_from(["*", "c++", "a:b", "near(x)", "-", "or", "\u00e9t\u00e9"])), max_size=3),
)
people = st.one_of(
    st.sampled_from(["me", "none", "U123", "<@U123|ann>", "a:b", "Ann Lee", "Lee, Ann"]),
    st.text(st.characters(exclude_characters='"' + SMART, exclude_categories=("Cc", "Cs")), min_size=1, max_size=10)
    .map(lambda v: " ".join(v.split()))
    .filter(lambda v: v != "" and (v.lower() not in ("me", "none") or v in ("me", "none"))),
)
prefixes = st.text(st.characters(categories=("Ll", "Lo", "Nd")), min_size=2, max_size=6).filter(
    lambda p: p == p.lower() and p.isalnum() and not re.fullmatch(rf"tkt-[{ALPHABET}]{{5}}", p + "*", re.IGNORECASE)
)
ids = st.text(alphabet=ALPHABET, min_size=5, max_size=5).map(lambda s: "TKT-" + s)


@st.composite
def date_ranges(draw: st.DrawFn, tz: tzinfo) -> DateRange | None:
    instant = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
    day = st.dates(min_value=date(1970, 1, 2), max_value=date(2100, 1, 1)).map(
        lambda d: datetime.combine(d, time(0), tzinfo=tz).astimezone(UTC)
    )
    points = st.one_of(st.none(), instant, day)
    start, end = draw(points), draw(points)
    if start is None and end is None:
        return None
    assume(start is None or end is None or start < end)
    return DateRange(start, end)


def unique(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(strategy, unique=True, max_size=3).map(tuple)


@st.composite
def queries(draw: st.DrawFn) -> tuple[SearchQuery, tzinfo]:
    tz = draw(st.sampled_from(ZONES))
    query = SearchQuery(
        terms=draw(unique(words)),
        phrases=draw(unique(phrases)),
        prefixes=draw(unique(prefixes)),
        ids=draw(unique(ids)),
        statuses=draw(st.frozensets(st.sampled_from(Status))),
        priorities=draw(st.frozensets(st.sampled_from(Priority))),
        categories=draw(st.frozensets(st.sampled_from(CATEGORIES))),
        requesters=draw(unique(people)),
        assignees=draw(unique(people)),
        created=draw(date_ranges(tz)),
        closed=draw(date_ranges(tz)),
    )
    return query, tz


@settings(max_examples=200, deadline=None)
@given(case=queries(), now=nows)
def test_format_then_parse_gives_the_same_query(case: tuple[SearchQuery, tzinfo], now: datetime) -> None:
    query, tz = case
    text = format_query(query, tz=tz)
    assume(len(text) <= 500)
    assert parse_query(text, now=now, categories=CATEGORIES, tz=tz) == query
