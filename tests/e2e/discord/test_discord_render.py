"""Whatever users type, what the adapter renders fits Discord's limits (checked with the fake's rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord import render
from core.commands import Page
from core.model import SUBJECT_MAX, Actor, Attachment, Message, Priority, Role, Status, Ticket
from core.stats import Breakdown, Stats
from tests.fakes.discord import limits

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
text = st.text(min_size=1, max_size=6000)
names = st.text(min_size=1, max_size=300)


def make_ticket(subject: str, name: str, status: Status, category: str) -> Ticket:
    return Ticket(
        id="TKT-B3X9C",
        subject=subject[:SUBJECT_MAX],
        category=category,
        priority=Priority.HIGH,
        status=status,
        requester=Actor("slack", "U1", name),
        created_at=NOW,
        updated_at=NOW,
        assignee=Actor("discord", "123", name),
        sla_due_at=NOW + timedelta(hours=4),
        closed_at=NOW if status is Status.CLOSED else None,
        rating=3,
    )


def make_message(body: str, name: str, n: int = 1) -> Message:
    files = (Attachment(name=name, url="https://cdn.example/" + name[:50], size=10**n, content_type="image/png"),)
    return Message(n, "TKT-B3X9C", Actor("slack", "U2", name), Role.STAFF, body, NOW, attachments=files * n)


def assert_sendable(content: str = "", embeds: tuple = ()) -> None:
    limits.validate_message({"content": content, "embeds": [e.to_dict() for e in embeds]})


@settings(max_examples=60, deadline=None)
@given(subject=text, name=names, body=text, category=names, status=st.sampled_from(list(Status)))
def test_cards_and_relays_always_fit(subject: str, name: str, body: str, category: str, status: Status) -> None:
    ticket = make_ticket(subject, name, status, category)
    thread = [make_message(body, name, n) for n in range(1, 4)]
    assert_sendable(render.opening_content(ticket), (render.ticket_embed(ticket, body, NOW),))
    assert_sendable(embeds=(render.status_embed(ticket, thread, NOW),))
    assert_sendable(render.relay_text(thread[0]))
    assert_sendable(render.closing_text(ticket, ticket.requester, body, ask_rating=True))
    assert_sendable(embeds=(render.ticket_list_embed([ticket] * 25, name),))
    assert_sendable(embeds=(render.search_embed(Page((ticket,) * 10, 1000, 990, 10, query=body[:200])),))
    assert 1 <= len(render.thread_name(ticket)) <= 100
    assert 1 <= len(render.choice_name(ticket)) <= 100
    assert "\n" not in render.error_line(body) and len(render.error_line(body)) <= 2000


@settings(max_examples=30, deadline=None)
@given(name=names, count=st.integers(0, 50))
def test_stats_always_fit(name: str, count: int) -> None:
    stats = Stats(total=count, open=count, csat_average=4.5, csat_count=count)
    stats.by_category = {f"{name}{n}": Breakdown(open=n) for n in range(count)}
    stats.oldest_open = [make_ticket(name, name, Status.OPEN, name)] * 5
    assert_sendable(embeds=(render.stats_embed(stats),))


def test_transcripts_escape_html_and_keep_every_message() -> None:
    ticket = make_ticket("<script>alert(1)</script>", "Eve <eve@example.com>", Status.CLOSED, "Technical")
    thread = [make_message("<b>bold</b> & more", "Eve", 1), make_message("second", "Sam", 2)]
    files = render.transcript_files(ticket, thread)
    assert [f.filename for f in files] == ["TKT-B3X9C-transcript.md", "TKT-B3X9C-transcript.html"]
    md, html = (f.fp.read().decode() for f in files)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html
    assert md.count("**Eve**") == 1 and "second" in md and "Attachment: [Eve]" in md


def test_the_sla_reads_in_words_where_words_stay_true() -> None:
    ticket = make_ticket("Slow", "Ann", Status.OPEN, "Technical")
    due = ticket.sla_due_at
    assert due is not None
    running = render.sla_text(ticket, NOW)  # a live Discord tag: the card is not edited as time passes
    assert running == f"<t:{int(due.timestamp())}:f> (<t:{int(due.timestamp())}:R>)"
    assert render.sla_text(ticket, due + timedelta(minutes=25)).startswith("⚠️ overdue by 25 min")
    ticket.status = Status.PENDING
    assert render.sla_text(ticket, NOW) == "paused — waiting on the requester"
    ticket.status = Status.CLOSED
    assert render.sla_text(ticket, NOW) == "—"
