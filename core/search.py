"""The search query language used by Slack, Discord, the CLI and the API: parser and printer, no storage.

Whitespace separates tokens::

    login error status:open priority:high,urgent category:technical created:2026-11-01..2026-11-26 "500 error"

- a free word (lower-cased), matched in any of its forms (``logins`` finds ``login``: the engines stem);
  ``log*`` matches every word starting with ``log`` (letters and digits before a final ``*``, at least
  two); ``TKT-B3X9C`` is a ticket id, not a word;
- ``"a phrase"`` (quotes delimit; there is no escape, so a lone quote is an error; the typographic
  quotes chat apps substitute, “ ” „, count as ``"``);
- ``field:value`` with a field name in any case: status, priority, category, requester, assignee, id,
  created, closed. ``field:a,b`` means any of them; a value may be quoted: ``requester:"Ann Lee"``;
  a field given twice adds alternatives (dates excepted).
- dates (``created:``, ``closed:``), read in the caller's ``tz``: ``2026-11-01`` (the whole day),
  ``A..B`` (B's whole day included), ``A..``, ``..B``, ``>=A``, ``>A``, ``<=B``, ``<B``, ``today``,
  ``yesterday``, and ``24h`` / ``7d`` / ``2w`` / ``1y`` for "within the last …" (a year is a calendar
  year in ``tz``: ``1y`` on 2026-11-26 starts 2025-11-26 at the same local time). ``A`` and ``B`` may also be
  instants such as ``2026-11-01T09:30Z`` (without an offset: local time in ``tz``).

Every malformed query raises ``InvalidInput`` saying what is wrong and how to fix it.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from core.errors import InvalidInput
from core.ids import ALPHABET, LENGTH, PREFIX
from core.model import DEFAULT_CATEGORIES, Priority, Status, parse_category

MAX_QUERY = 500
FIELDS = ("status", "priority", "category", "requester", "assignee", "id", "created", "closed")
_EXAMPLES = {
    "status": "status:open",
    "priority": "priority:high,urgent",
    "category": "category:billing",
    "requester": 'requester:"Ann Lee"',
    "assignee": "assignee:me",
    "id": "id:TKT-B3X9C",
    "created": "created:2026-11-01..2026-11-26",
    "closed": "closed:7d",
}
_LIST_EXAMPLES = {
    "status": "status:open,pending",
    "priority": "priority:high,urgent",
    "category": "category:billing,technical",
    "requester": "requester:ann,bob",
    "assignee": "assignee:me,none",
    "id": "id:TKT-B3X9C,TKT-C4D5F",
}
_SYNTAX = frozenset('*()^{}:"')  # characters that look like full-text operators
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
_KEYWORDS = ("me", "none")  # person values the caller resolves: kept literally, in lower case
_BARE_ID = re.compile(rf"{PREFIX}[{ALPHABET}]{{{LENGTH}}}", re.IGNORECASE)
_ID = re.compile(rf"(?:{PREFIX})?([{ALPHABET}]{{{LENGTH}}})", re.IGNORECASE)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?", re.IGNORECASE)
_RELATIVE = re.compile(r"(\d{1,6})([hdwy])")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_PREFIX_MIN = 2  # shorter prefixes match most of the index: slow, and rarely what was meant
_TINY = timedelta(microseconds=1)
_EARLIEST, _LATEST = datetime(1899, 12, 30, tzinfo=UTC), datetime(3000, 1, 2, tzinfo=UTC)  # 1900-2999 anywhere
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"'})  # chat apps "correct" quotes


@dataclass(frozen=True)
class DateRange:
    """Instants from ``start`` (inclusive) to ``end`` (exclusive), both UTC; ``None`` is open-ended."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query. Values of one field are alternatives; different fields and words must all match."""

    terms: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()  # ``log*`` is ``"log"``: lower case, letters and digits only
    ids: tuple[str, ...] = ()
    statuses: frozenset[Status] = frozenset()
    priorities: frozenset[Priority] = frozenset()
    categories: frozenset[str] = frozenset()
    requesters: tuple[str, ...] = ()  # user ids or names as typed; "me" for the caller to resolve
    assignees: tuple[str, ...] = ()  # the same; "none" means unassigned
    created: DateRange | None = None
    closed: DateRange | None = None

    def is_empty(self) -> bool:
        """Whether the query asks for nothing (an empty query lists every ticket the caller may see)."""
        return self == SearchQuery()


def parse_query(
    text: str, *, now: datetime, categories: Sequence[str] = DEFAULT_CATEGORIES, tz: tzinfo = UTC
) -> SearchQuery:
    """Parse a query typed by a user.

    Args:
        text: the query.
        now: the current instant (timezone-aware), for ``today`` and ``7d``.
        categories: the configured category names; ``category:`` values map onto them.
        tz: the zone in which dates such as ``2026-11-01`` or ``today`` are whole days.

    Raises:
        InvalidInput: the query is malformed; the message says what to fix.
        ValueError: ``now`` is naive (a programming error).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    text = text.strip().translate(_SMART_QUOTES)
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"the query is {len(text)} characters long; at most {MAX_QUERY} are allowed")
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs") and not char.isspace():
            raise InvalidInput(f"the query contains the control character U+{ord(char):04X}; remove it")
    builder = _Builder(now, categories, tz)
    for token in _tokens(text):
        builder.add(token)
    return builder.build()


def format_query(query: SearchQuery, *, tz: tzinfo = UTC) -> str:
    """Return the canonical text of ``query``: ``parse_query`` (with the same ``tz``) reads it back equal.

    Dates that are whole local days in ``tz`` print as days, other instants in UTC.
    """
    parts = [*query.terms, *(f'"{phrase}"' for phrase in query.phrases), *(f"{p}*" for p in query.prefixes)]
    parts += query.ids
    if query.statuses:
        parts.append("status:" + ",".join(s.value.lower() for s in Status if s in query.statuses))
    if query.priorities:
        parts.append("priority:" + ",".join(p.value.lower() for p in Priority if p in query.priorities))
    people = (("category", sorted(query.categories)), ("requester", query.requesters), ("assignee", query.assignees))
    for name, values in people:
        if values:
            parts.append(f"{name}:" + ",".join(_quote(value) for value in values))
    for name, span in (("created", query.created), ("closed", query.closed)):
        if span is not None:
            parts.append(f"{name}:{_format_range(span, tz)}")
    return " ".join(parts)


# --- tokens ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Word:
    text: str


@dataclass(frozen=True)
class _Phrase:
    text: str


@dataclass(frozen=True)
class _Field:
    name: str
    values: tuple[str, ...]
    source: str


def _tokens(text: str) -> Iterator[_Word | _Phrase | _Field]:
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
        elif text[pos] == '"':
            phrase, pos = _quoted(text, pos)
            yield _Phrase(phrase)
        else:
            end = _bare_end(text, pos, stops='"')
            name, colon, _ = text[pos:end].partition(":")
            if colon and name:
                values, end = _values(text, pos + len(name) + 1)
                yield _Field(name, values, text[pos:end])
            else:
                yield _Word(text[pos:end])
            pos = end


def _values(text: str, pos: int) -> tuple[tuple[str, ...], int]:
    """Read ``a,"b c",d`` from ``pos``; return the values (whitespace collapsed) and the end."""
    values = []
    while True:
        if pos < len(text) and text[pos] == '"':
            value, pos = _quoted(text, pos)
        else:
            end = _bare_end(text, pos, stops=',"')
            value, pos = text[pos:end], end
        values.append(" ".join(value.split()))
        if pos >= len(text) or text[pos] != ",":
            return tuple(values), pos
        pos += 1


def _bare_end(text: str, pos: int, stops: str) -> int:
    while pos < len(text) and not text[pos].isspace() and text[pos] not in stops:
        pos += 1
    return pos


def _quoted(text: str, pos: int) -> tuple[str, int]:
    closing = text.find('"', pos + 1)
    if closing < 0:
        raise InvalidInput('unbalanced quote: a " is never closed; add the closing " or remove it')
    return text[pos + 1 : closing], closing + 1


# --- meaning --------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, now: datetime, categories: Sequence[str], tz: tzinfo) -> None:
        self.now, self.categories, self.tz = now, categories, tz
        self.terms: list[str] = []
        self.phrases: list[str] = []
        self.prefixes: list[str] = []
        self.ids: list[str] = []
        self.requesters: list[str] = []
        self.assignees: list[str] = []
        self.statuses: set[Status] = set()
        self.priorities: set[Priority] = set()
        self.category_names: set[str] = set()
        self.dates: dict[str, DateRange] = {}

    def build(self) -> SearchQuery:
        return SearchQuery(
            terms=tuple(self.terms),
            phrases=tuple(self.phrases),
            prefixes=tuple(self.prefixes),
            ids=tuple(self.ids),
            statuses=frozenset(self.statuses),
            priorities=frozenset(self.priorities),
            categories=frozenset(self.category_names),
            requesters=tuple(self.requesters),
            assignees=tuple(self.assignees),
            created=self.dates.get("created"),
            closed=self.dates.get("closed"),
        )

    def add(self, token: _Word | _Phrase | _Field) -> None:
        if isinstance(token, _Word):
            self.word(token.text)
        elif isinstance(token, _Phrase):
            self.phrase(token.text)
        else:
            self.field(token)

    def word(self, word: str) -> None:
        if _BARE_ID.fullmatch(word):
            _append(self.ids, word.upper())
        elif word.endswith("*") and (word[:-1].isalnum() or word == "*"):
            self.prefix(word)
        elif word.endswith("*") and word.count("*") == 1 and not set(word) & (_SYNTAX - {"*"}):
            raise InvalidInput(
                f"{_show(word)}: a prefix search takes letters and digits only before the *, e.g. log*; "
                "put the word in quotes to search for it as text"
            )
        elif word in _OPERATORS:
            raise InvalidInput(
                f"{word} is not supported: every word must match. To search for the word, write it in lower case"
            )
        elif syntax := sorted(set(word) & _SYNTAX):
            raise InvalidInput(
                f"{_show(word)} contains {' '.join(syntax)}, which search does not understand; "
                "put the word in quotes to search for it as text, or remove it"
            )
        elif len(word) > 1 and word[0] == "-" and word[1].isalpha():
            raise InvalidInput(f"{_show(word)}: excluding words is not supported; remove the leading -")
        elif not any(char.isalnum() for char in word):
            raise InvalidInput(f"{_show(word)} has no letters or digits to search for; remove it")
        else:
            _append(self.terms, word.lower())

    def prefix(self, word: str) -> None:
        stem = word[:-1].lower()
        if len(stem) < _PREFIX_MIN:
            raise InvalidInput(
                f"{_show(word)}: a prefix needs at least {_PREFIX_MIN} letters or digits before the *, e.g. log*"
            )
        _append(self.prefixes, stem)

    def phrase(self, text: str) -> None:
        phrase = " ".join(text.split()).lower()
        if not phrase:
            raise InvalidInput('empty quotes ""; put words between them or remove them')
        if not any(char.isalnum() for char in phrase):
            raise InvalidInput(f'the phrase "{phrase[:40]}" has no letters or digits to search for; remove it')
        _append(self.phrases, phrase)

    def field(self, token: _Field) -> None:
        name = token.name.lower()
        if name not in FIELDS:
            raise InvalidInput(
                f"unknown field {_show(token.name + ':')}; use one of {', '.join(f + ':' for f in FIELDS)} "
                "or put the text in quotes to search for it"
            )
        dates = name in ("created", "closed")
        if dates and (len(token.values) > 1 or name in self.dates):
            raise InvalidInput(f"{name}: takes one date or range, e.g. {_EXAMPLES[name]}")
        if len(token.values) > 1 and token.values[-1] == "" and "" not in token.values[:-1]:
            raise InvalidInput(
                f"{_show(token.source)} ends with a comma; list the values without spaces, "
                f"e.g. {_LIST_EXAMPLES[name]}, or remove the comma"
            )
        if "" in token.values:
            problem = "needs a value" if len(token.values) == 1 else "has an empty value in its list"
            raise InvalidInput(f"{name}: {problem}; write it without spaces, e.g. {_EXAMPLES[name]}")
        if dates:
            self.dates[name] = self.date_range(name, token.values[0])
        else:
            for value in token.values:
                self.value(name, value)

    def value(self, name: str, value: str) -> None:
        if name == "status":
            self.statuses.add(Status(Status.parse(value)))
        elif name == "priority":
            self.priorities.add(Priority(Priority.parse(value)))
        elif name == "category":
            self.category_names.add(parse_category(value, self.categories))
        elif name == "id":
            match = _ID.fullmatch(value)
            if match is None:
                raise InvalidInput(f"{_show(value)} is not a ticket id; ids look like TKT-B3X9C")
            _append(self.ids, PREFIX + match[1].upper())
        else:
            person = value.lower() if value.lower() in _KEYWORDS else value
            _append(self.requesters if name == "requester" else self.assignees, person)

    def date_range(self, name: str, value: str) -> DateRange:
        try:
            start, end = self.bounds(name, value)
        except (ValueError, OverflowError):
            raise InvalidInput(f"{name}: {_show(value)} is not a valid date, or it is out of range") from None
        if any(bound is not None and not _EARLIEST <= bound <= _LATEST for bound in (start, end)):
            raise InvalidInput(f"{name}: {_show(value)} is out of range; use dates from 1900 to 2999")
        if start is not None and end is not None and start >= end:
            raise InvalidInput(f"{name}: the range {_show(value)} ends before it starts; put the earlier date first")
        return DateRange(start, end)

    def bounds(self, name: str, value: str) -> tuple[datetime | None, datetime | None]:
        text = value.lower()
        for operator in (">=", "<=", ">", "<"):
            if text.startswith(operator):
                first, after = self.point(name, text[len(operator) :])
                return {">=": (first, None), ">": (after, None), "<=": (None, after), "<": (None, first)}[operator]
        if ".." in text:
            left, _, right = text.partition("..")
            if not left and not right:
                raise InvalidInput(f"{name}: .. needs a start, an end or both, e.g. {name}:2026-11-01..")
            return (self.point(name, left)[0] if left else None, self.point(name, right)[1] if right else None)
        if relative := _RELATIVE.fullmatch(text):
            if int(relative[1]) == 0:
                raise InvalidInput(f"{name}: {text} is an empty period; count from 1, e.g. {name}:7d")
            count, unit = int(relative[1]), relative[2]
            if unit == "y":
                return _years_before(self.now.astimezone(self.tz), count).astimezone(UTC), None
            return self.now.astimezone(UTC) - count * _UNITS[unit], None
        return self.point(name, text)

    def point(self, name: str, text: str) -> tuple[datetime, datetime]:
        """The instants a date atom starts and ends: a whole local day, or a single instant."""
        if _INSTANT.fullmatch(text):
            moment = datetime.fromisoformat(text.upper())
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.tz)
            return moment.astimezone(UTC), moment.astimezone(UTC) + _TINY
        if text == "today":
            day = self.now.astimezone(self.tz).date()
        elif text == "yesterday":
            day = self.now.astimezone(self.tz).date() - timedelta(days=1)
        elif _DATE.fullmatch(text):
            day = date.fromisoformat(text)
        else:
            raise InvalidInput(
                f"{name}: {_show(text)} is not a date; write YYYY-MM-DD, a range A..B, >=A, <B, "
                "today, yesterday, or 24h / 7d / 2w / 1y for the last hours, days, weeks or years"
            )
        return _day_start(day, self.tz), _day_start(day + timedelta(days=1), self.tz)


# --- printing -------------------------------------------------------------------------------------


def _format_range(span: DateRange, tz: tzinfo) -> str:
    start = _format_point(span.start, tz, end=False) if span.start is not None else ""
    end = _format_point(span.end, tz, end=True) if span.end is not None else ""
    return start if start == end else f"{start}..{end}"


def _format_point(moment: datetime, tz: tzinfo, *, end: bool) -> str:
    """A start as itself; an (exclusive) end as the last day or instant it includes."""
    day = moment.astimezone(tz).date()
    if _day_start(day, tz) == moment:
        return (day - timedelta(days=end)).isoformat()
    last = moment - _TINY if end else moment
    return last.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _quote(value: str) -> str:
    return f'"{value}"' if any(char.isspace() or char in ',"' for char in value) else value


def _years_before(moment: datetime, years: int) -> datetime:
    """The same local date and time ``years`` earlier (29 February becomes the 28th in a common year)."""
    year = moment.year - years
    day = 28 if (moment.month, moment.day) == (2, 29) and not calendar.isleap(year) else moment.day
    return moment.replace(year=year, day=day)


def _day_start(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _append(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def _show(text: str) -> str:
    """Quote user text for a message, shortened so a huge token does not flood it."""
    return repr(text if len(text) <= 40 else text[:37] + "...")
