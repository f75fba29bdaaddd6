"""Search through the desk on the real full-text index (FTS5 / tsvector)."""

from __future__ import annotations

import pytest

from core.desk import Desk
from core.errors import InvalidInput
from core.model import Actor
from tests.fakes.clock import FakeClock

ANN = Actor(platform="discord", user_id="111", name="Ann")
BOB = Actor(platform="slack", user_id="U2", name="Bob")
STAFF = Actor(platform="slack", user_id="U1", name="Sam", is_staff=True)


@pytest.fixture
async def corpus(desk: Desk, clock: FakeClock) -> dict[str, str]:
    made = {}
    made["login"] = (await desk.create_ticket(
        subject="Cannot access dashboard", message="I'm getting a 500 error when trying to log in.",
        category="technical", priority="high", requester=ANN)).id  # fmt: skip
    clock.advance(days=2)
    made["invoice"] = (await desk.create_ticket(
        subject="Invoice is wrong", message="The error is in the VAT line", category="billing",
        priority="low", requester=BOB)).id  # fmt: skip
    clock.advance(days=2)
    made["login2"] = (await desk.create_ticket(
        subject="Login error after reset", message="error 500 again", category="technical",
        priority="urgent", requester=BOB)).id  # fmt: skip
    await desk.add_note(ticket_id=made["invoice"], content="refund approved by finance", actor=STAFF)
    await desk.add_message(ticket_id=made["invoice"], actor=BOB, content="any update on the refund?")
    await desk.close_ticket(ticket_id=made["login"], actor=STAFF)
    return made


async def ids(desk: Desk, query: str, actor: Actor = STAFF) -> list[str]:
    return [t.id for t in (await desk.search(query=query, actor=actor, limit=50)).items]


async def test_the_product_example_query(desk: Desk, corpus: dict[str, str]) -> None:
    q = 'login error status:open priority:high,urgent category:technical created:2026-11-01..2026-11-30 "500"'
    assert await ids(desk, q) == [corpus["login2"]]


async def test_words_match_subject_and_messages(desk: Desk, corpus: dict[str, str]) -> None:
    assert set(await ids(desk, "error")) == set(corpus.values())
    assert await ids(desk, "VAT") == [corpus["invoice"]]
    assert await ids(desk, '"500 error"') == [corpus["login"]]
    assert await ids(desk, "reply-that-nobody-wrote") == []


async def test_replies_are_indexed(desk: Desk, corpus: dict[str, str]) -> None:
    assert await ids(desk, "update refund") == [corpus["invoice"]]


async def test_filters_without_words_are_newest_first(desk: Desk, corpus: dict[str, str]) -> None:
    assert await ids(desk, "category:technical") == [corpus["login2"], corpus["login"]]
    assert await ids(desk, "status:closed") == [corpus["login"]]
    assert await ids(desk, "requester:bob") == [corpus["login2"], corpus["invoice"]]
    assert await ids(desk, f"id:{corpus['invoice']}") == [corpus["invoice"]]
    assert await ids(desk, "assignee:none priority:low") == [corpus["invoice"]]


async def test_date_ranges(desk: Desk, clock: FakeClock, corpus: dict[str, str]) -> None:
    assert await ids(desk, "created:2026-11-26") == [corpus["login"]]
    assert set(await ids(desk, "created:3d")) == {corpus["login2"], corpus["invoice"]}
    assert await ids(desk, "closed:>=2026-11-30") == [corpus["login"]]


async def test_internal_notes_are_searchable_by_staff_only(desk: Desk, corpus: dict[str, str]) -> None:
    assert await ids(desk, "finance") == [corpus["invoice"]]
    assert await ids(desk, "finance", actor=BOB) == []


async def test_requesters_search_only_their_own_tickets(desk: Desk, corpus: dict[str, str]) -> None:
    assert set(await ids(desk, "error", actor=BOB)) == {corpus["invoice"], corpus["login2"]}
    assert await ids(desk, "error", actor=ANN) == [corpus["login"]]


async def test_pagination(desk: Desk, corpus: dict[str, str]) -> None:
    first = await desk.search(query="error", actor=STAFF, limit=2)
    second = await desk.search(query="error", actor=STAFF, limit=2, offset=2)
    assert first.total == 3 and first.has_more and not second.has_more
    assert len({t.id for t in first.items + second.items}) == 3


@pytest.mark.parametrize("query", ['"unbalanced', "NEAR(a b)", "*", "foo:bar", "status:", "priority:blocker",
                                   "created:2026-12-01..2026-11-01", "(", "a" * 501])  # fmt: skip
async def test_malformed_queries_are_clear_errors(desk: Desk, corpus: dict[str, str], query: str) -> None:
    with pytest.raises(InvalidInput):
        await desk.search(query=query, actor=STAFF)


async def test_fts_syntax_inside_words_is_literal(desk: Desk, corpus: dict[str, str]) -> None:
    # words that look like FTS5 syntax are searched as text, never passed to the engine as syntax
    for query in ("and", "or error", "not", "near", "can't", "e-mail", "v2.1", "über"):
        await desk.search(query=query, actor=STAFF)
    assert await ids(desk, "error or") == []
    with pytest.raises(InvalidInput, match="lower case"):
        await desk.search(query="login AND error", actor=STAFF)


async def test_words_with_a_person_filter(desk: Desk, corpus: dict[str, str]) -> None:
    # a person filter narrows to a few tickets first, then each is checked against the index
    assert await ids(desk, "error requester:bob") == [corpus["login2"], corpus["invoice"]]
    assert await ids(desk, "finance requester:bob") == [corpus["invoice"]]
    assert await ids(desk, "finance requester:bob", actor=BOB) == []  # internal notes stay hidden
    assert await ids(desk, f"vat id:{corpus['invoice']}") == [corpus["invoice"]]
    assert await ids(desk, f"dashboard id:{corpus['invoice']}") == []
