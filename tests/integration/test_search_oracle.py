"""Search on a few thousand tickets against a brute-force Python oracle, on both engines.

The oracle reads the documents as the desk wrote them and applies the contract of ``core.storage.fulltext``
by hand: every word, phrase and prefix somewhere visible (stemmed with the engine's stemmer: Porter for
SQLite's FTS5, snowball English for PostgreSQL), every filter; the newest ``RESULT_CAP`` matches counted (a
small cap here), ordered by how many of the query's items the subject holds, then newest first. Pages must be identical.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime

import pytest
import snowballstemmer

from core.desk import Desk
from core.model import Actor
from core.search import SearchQuery, parse_query
from core.storage import fulltext
from tests.fakes.clock import FakeClock

STAFF = Actor(platform="slack", user_id="S1", name="Sam", is_staff=True)
PEOPLE = [Actor(platform="discord", user_id=f"u{i}", name=f"Person {i}") for i in range(12)]
COMMON = (
    "login logins logged logging password passwords reset resetting error errors crash crashed invoice "
    "invoices refund dashboard dashboards export exported billing slow sync"
).split()
RARE = [f"zq{i}" for i in range(30)]
N_TICKETS = 900
CAP = 250  # RESULT_CAP in these tests: common words match more tickets, so the window is exercised

QUERIES = [
    "login",  # also logins, logged, logging
    "logins",
    "errors crash",
    "password reset",
    '"password reset"',
    '"reset password"',
    "log*",
    "dash* exported",
    "zq7",
    "refund zq3",
    "crash status:open",
    "invoice status:open,pending priority:high,urgent",
    "sync category:billing created:2026-11-27..2026-11-28",
    "export created:1d",
    "notes",  # only in internal notes: staff only
    "billing requester:u3",
    "login assignee:none",
    "status:closed",
    "category:technical priority:low",
]


@dataclass
class Doc:
    pk: int
    ticket_id: str
    subject: str
    body: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(COMMON) if rng.random() < 0.85 else rng.choice(RARE) for _ in range(rng.randint(low, high))]
    return " ".join(words)


@pytest.fixture(autouse=True)
def small_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fulltext, "RESULT_CAP", CAP)


@pytest.fixture
async def corpus(desk: Desk, clock: FakeClock, backend: str) -> list[Doc]:
    rng = random.Random(20261201)
    docs: list[Doc] = []
    for i in range(N_TICKETS):
        clock.advance(minutes=1)
        subject, body = sentence(rng, 1, 5).capitalize(), sentence(rng, 2, 9)
        ticket = await desk.create_ticket(
            subject=subject, message=body, category=rng.choice(["technical", "billing", "general"]),
            priority=rng.choice(["low", "medium", "high", "urgent"]), requester=PEOPLE[i % len(PEOPLE)],
        )  # fmt: skip
        doc = Doc(pk=i + 1, ticket_id=ticket.id, subject=subject, body=[body])
        if rng.random() < 0.1:
            reply = sentence(rng, 2, 6)
            await desk.add_message(ticket_id=ticket.id, actor=STAFF, content=reply)
            doc.body.append(reply)
        if rng.random() < 0.05:
            note = "internal notes " + sentence(rng, 1, 4)
            await desk.add_note(ticket_id=ticket.id, content=note, actor=STAFF)
            doc.notes.append(note)
        if rng.random() < 0.5:
            await desk.close_ticket(ticket_id=ticket.id, actor=STAFF)
        docs.append(doc)
    return docs


class Oracle:
    def __init__(self, backend: str, docs: list[Doc], tickets: dict[str, object]) -> None:
        self.stem = snowballstemmer.stemmer("english" if backend == "postgres" else "porter").stemWord
        self.postgres = backend == "postgres"
        self.docs, self.tickets = docs, tickets

    def tokens(self, text: str) -> list[str]:
        return [self.stem(word) for word in re.findall(r"[a-z0-9]+", text.lower())]

    def sequences(self, doc: Doc, *, staff: bool) -> tuple[list[list[str]], list[str]]:
        """The token runs a phrase may not cross, and the subject's tokens."""
        subject, body = self.tokens(doc.subject), self.tokens("\n".join(doc.body))
        # PostgreSQL keeps subject and messages in one tsvector (positions run on); FTS5 has columns
        runs = [subject + body] if self.postgres else [subject, body]
        if staff:
            runs.append(self.tokens("\n".join(doc.notes)))
        return runs, subject

    def holds(self, runs: list[list[str]], kind: str, text: str) -> bool:
        if kind == "prefix":
            start = self.stem(text)
            return any(token.startswith(start) for run in runs for token in run)
        wanted = self.tokens(text)
        n = len(wanted)
        return any(run[i : i + n] == wanted for run in runs for i in range(len(run) - n + 1))

    def search(self, query: SearchQuery, *, staff: bool) -> tuple[list[str], int]:
        items = [("word", t) for t in query.terms] + [("phrase", p) for p in query.phrases]
        items += [("prefix", p) for p in query.prefixes]
        matches: list[tuple[int, int, str]] = []
        for doc in self.docs:
            ticket = self.tickets[doc.ticket_id]
            if not self.passes(query, ticket):
                continue
            runs, subject = self.sequences(doc, staff=staff)
            if all(self.holds(runs, kind, text) for kind, text in items):
                score = sum(self.holds([subject], kind, text) for kind, text in items)
                matches.append((score, doc.pk, doc.ticket_id))
        if not items:  # without words: newest first, every match counted up to the cap
            ordered = [tid for _, _, tid in sorted(matches, key=lambda m: -m[1])]
            return ordered, min(len(ordered), CAP)
        window = sorted(matches, key=lambda m: -m[1])[:CAP]
        return [tid for _, _, tid in sorted(window, key=lambda m: (-m[0], -m[1]))], len(window)

    @staticmethod
    def passes(query: SearchQuery, t: object) -> bool:
        def within(moment: datetime | None, span: object) -> bool:
            if span is None:
                return True
            if moment is None:
                return False
            return (span.start is None or moment >= span.start) and (span.end is None or moment < span.end)  # type: ignore[attr-defined]

        return (
            (not query.statuses or t.status in query.statuses)  # type: ignore[attr-defined]
            and (not query.priorities or t.priority in query.priorities)  # type: ignore[attr-defined]
            and (not query.categories or t.category in query.categories)  # type: ignore[attr-defined]
            and (not query.requesters or t.requester.user_id in query.requesters)  # type: ignore[attr-defined]
            and (not query.assignees or (query.assignees == ("none",) and t.assignee is None))  # type: ignore[attr-defined]
            and within(t.created_at, query.created)  # type: ignore[attr-defined]
            and within(t.closed_at, query.closed)  # type: ignore[attr-defined]
        )


async def test_search_matches_a_brute_force_oracle(desk: Desk, clock: FakeClock, backend: str, corpus: list[Doc]):
    tickets = {}
    for doc in corpus:
        tickets[doc.ticket_id] = await desk.get_ticket(ticket_id=doc.ticket_id, actor=STAFF)
    oracle = Oracle(backend, corpus, tickets)
    assert sum(1 for d in corpus if "login" in oracle.tokens(d.subject + " " + " ".join(d.body))) > 1.5 * CAP
    for text in QUERIES:
        query = parse_query(text, now=clock.now())
        for actor in (STAFF, PEOPLE[3]):
            staff = actor.is_staff
            expected, total = oracle.search(query, staff=staff)
            if not staff:
                mine = {d.ticket_id for d in corpus if tickets[d.ticket_id].requester.user_id == actor.user_id}
                expected, total = oracle_scoped(oracle, query, mine)
            for offset, limit in ((0, 50), (max(0, total - 30), 50), (total + 5, 10)):
                page = await desk.search(query=text, actor=actor, limit=limit, offset=offset)
                got = [t.id for t in page.items]
                assert (got, page.total) == (expected[offset : offset + limit], total), (text, actor.user_id, offset)


def oracle_scoped(oracle: Oracle, query: SearchQuery, mine: set[str]) -> tuple[list[str], int]:
    """A requester's search: the oracle's over their own tickets, without internal notes."""
    docs = oracle.docs
    oracle.docs = [d for d in docs if d.ticket_id in mine]
    try:
        return oracle.search(query, staff=False)
    finally:
        oracle.docs = docs
