"""Block Kit rendering: escaping, limits, and the property that no user string pings or breaks a block."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack import render, translate
from core.commands import Changed, ListTickets, Page, Posted
from core.events import AssigneeChanged, MessageAdded, StatusChanged
from core.model import Actor, Attachment, Message, Priority, Role, Status, Ticket
from core.stats import Stats
from tests.fakes.slack.blocks import validate_blocks, validate_view
from tests.fakes.slack.reading import texts_of

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
CATEGORIES = ["Technical", "Billing", "General"]
PINGS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0123|@support>",
    "<@U0ADMIN>",
    "<#C0STAFF>",
    "@here",
    "@channel",
    "@Everyone",
]

# every '<' in rendered mrkdwn must open one of OUR tokens: a date, or a link to a safe http(s) url
_OUR_TOKENS = re.compile(r"<!date\^\d+\^[^|<>]*\|[^<>]*>|<https?://[^\s<>|]+\|[^<>]*>")
_PING_WORD = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)


def make_ticket(
    subject: str = "Login broken",
    *,
    name: str = "Bob",
    category: str = "Technical",
    status: Status = Status.OPEN,
    assignee: Actor | None = None,
    tid: str = "TKT-B3X9C",
) -> Ticket:
    return Ticket(
        id=tid,
        subject=subject,
        category=category,
        priority=Priority.HIGH,
        status=status,
        requester=Actor("discord", "42", name),
        created_at=NOW,
        updated_at=NOW,
        assignee=assignee,
        sla_due_at=NOW + timedelta(hours=4) if status is Status.OPEN else None,
    )


def make_message(
    body: str,
    *,
    name: str = "Bob",
    role: Role = Role.REQUESTER,
    internal: bool = False,
    attachments: tuple[Attachment, ...] = (),
) -> Message:
    return Message(1, "TKT-B3X9C", Actor("slack", "U1", name), role, body, NOW, internal, attachments)


def mrkdwn_texts(obj: Any) -> list[str]:
    """Every string Slack parses as mrkdwn in a payload (text objects of type mrkdwn)."""
    return texts_of(obj, ("mrkdwn",))


def assert_inert(*texts: str) -> None:
    for text in texts:
        rest = _OUR_TOKENS.sub("", text)
        assert "<" not in rest, f"raw '<' in rendered mrkdwn: {text[:300]!r}"
        assert not _PING_WORD.search(rest), f"ping word in rendered mrkdwn: {text[:300]!r}"


def assert_message_ok(msg: render.SlackMessage) -> None:
    assert validate_blocks(msg.blocks, "message") == []
    assert 1 <= len(msg.text) <= render.FALLBACK_MAX
    assert_inert(msg.text, *mrkdwn_texts(msg.blocks))


def unescape(text: str) -> str:
    return text.replace("\u200b", "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# ------------------------------------------------------------------------------------ examples
def test_escape_makes_every_mention_inert():
    for ping in PINGS:
        escaped = render.escape(f"hey {ping} & co")
        assert_inert(escaped)
        assert unescape(escaped) == f"hey {ping} & co"
    assert render.escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"


def test_fit_cuts_with_ellipsis_and_never_splits_an_entity():
    assert render.fit("abc", 3) == "abc"
    assert render.fit("abcd", 3) == "ab…"
    cut = render.fit(render.escape("x" * 8 + "&&&&"), 12)
    assert cut == "xxxxxxxx…" or cut.endswith(";…"), cut
    assert len(render.fit("😀" * 10, 5)) <= 5


def test_card_shows_everything_staff_need_and_its_buttons():
    ticket = make_ticket(assignee=Actor("slack", "U9", "Alice"))
    card = render.ticket_card(ticket, categories=CATEGORIES, now=NOW + timedelta(hours=1, minutes=50))
    assert_message_ok(card)
    assert card.blocks[0]["text"]["text"] == "TKT-B3X9C · Login broken"
    fields = " ".join(f["text"] for f in card.blocks[1]["fields"])
    for expected in (
        "Bob (Discord)",
        "Technical",
        "High",
        "Open",
        "Alice (Slack)",
        "*SLA*\ndue in 2 h 10 min · <!date^",
    ):
        assert expected in fields
    actions = card.blocks[-1]["elements"]
    ids = [e["action_id"] for e in actions]
    assert ids == [
        render.A_CLAIM,
        render.A_REPLY,
        render.A_PENDING,
        render.A_CLOSE,
        render.A_PRIORITY,
        render.A_CATEGORY,
    ]
    assert all(e["value"] == "TKT-B3X9C" for e in actions if e["type"] == "button")
    assert actions[-2]["initial_option"]["value"] == "TKT-B3X9C|High"
    assert actions[-1]["initial_option"]["value"] == "TKT-B3X9C|Technical"


def test_closed_card_offers_reopen_not_close():
    card = render.ticket_card(make_ticket(status=Status.CLOSED), categories=CATEGORIES, now=NOW)
    ids = [e["action_id"] for e in card.blocks[-1]["elements"]]
    assert render.A_REOPEN in ids and render.A_CLOSE not in ids and render.A_CLAIM not in ids


def test_long_subject_is_cut_to_the_header_limit():
    card = render.ticket_card(make_ticket("s" * 150), categories=CATEGORIES, now=NOW)
    header = card.blocks[0]["text"]["text"]
    assert len(header) == 150 and header.endswith("…")
    assert_message_ok(card)


def test_long_message_is_split_into_sections_not_rejected():
    body = ("word " * 2000).strip()  # 9,999 characters
    msg = render.thread_message(make_message(body))
    assert_message_ok(msg)
    sections = [b["text"]["text"] for b in msg.blocks if b["type"] == "section"]
    assert len(sections) == 4
    assert " ".join(s.strip() for s in sections).split() == body.split()


def test_huge_message_is_cut_with_ellipsis():
    msg = render.thread_message(make_message("x" * 200_000))
    assert_message_ok(msg)
    assert len(msg.blocks) <= render.MESSAGE_BLOCKS_MAX
    assert msg.blocks[-1]["text"]["text"].endswith("…")


def test_labels_say_where_a_message_came_from_and_what_it_is():
    reply = render.thread_message(make_message("hi", name="Alice", role=Role.STAFF))
    assert "Alice* (Slack) replied to the requester" in reply.blocks[0]["elements"][0]["text"]
    note = render.thread_message(make_message("secret", name="Alice", role=Role.STAFF, internal=True))
    assert "Internal note" in note.blocks[0]["elements"][0]["text"]
    req = render.thread_message(make_message("help", name="Bob"))
    assert "*Bob* (Slack) · requester" in req.blocks[0]["elements"][0]["text"]


def test_attachments_link_only_safe_urls():
    files = (Attachment("a.png", "https://files.example/a.png"), Attachment("b<!here>.txt", "javascript:alert(1)"))
    msg = render.thread_message(make_message("see files", attachments=files))
    assert_message_ok(msg)
    line = msg.blocks[-1]["elements"][0]["text"]
    assert "<https://files.example/a.png|a.png>" in line and "javascript" not in line


def test_home_view_is_paginated_under_100_blocks():
    tickets = [make_ticket(f"t{i}", tid=f"TKT-{'BCDFG'[i % 5]}{i:04d}".replace("0", "B")[:9]) for i in range(25)]
    view = render.home_view(tickets, staff=True, now=NOW, offset=20, has_more=True)
    assert validate_view(view) == []
    assert len(view["blocks"]) <= 100
    pager = [b for b in view["blocks"] if b.get("block_id") == "home_pager"][0]
    assert [e["value"] for e in pager["elements"]] == ["0", "40"]


def test_new_ticket_modal_is_valid_and_prefilled():
    modal = render.new_ticket_modal(
        categories=CATEGORIES, subject="  Printer \n on fire ", description="d" * 5000, metadata={"channel": "C1"}
    )
    assert validate_view(modal) == []
    blocks = {b["block_id"]: b for b in modal["blocks"]}
    assert blocks["subject"]["element"]["initial_value"] == "Printer on fire"
    assert len(blocks["description"]["element"]["initial_value"]) == 3000
    assert modal["private_metadata"] == '{"channel":"C1"}'


def test_stats_message_is_valid():
    stats = Stats(total=3, open=1, pending=1, closed=1, sla_attainment=0.5, oldest_open=[make_ticket()])
    assert_message_ok(render.stats_message(stats, now=NOW))


def closed_by(name: str, reason: str | None = "works now") -> StatusChanged:
    return StatusChanged("TKT-B3X9C", Actor("slack", "U3", name), Status.OPEN, Status.CLOSED, reason)


def test_the_sla_reads_in_words_on_the_card():
    ticket = make_ticket()  # High: due four hours after NOW
    assert render.sla_words(ticket, NOW + timedelta(hours=1, minutes=50)).startswith("due in 2 h 10 min · <!date^")
    late = render.sla_words(ticket, NOW + timedelta(hours=4, minutes=25))
    assert late.startswith(":warning: overdue by 25 min · <!date^")
    waiting = make_ticket(status=Status.PENDING)
    assert render.sla_words(waiting, NOW) == "paused — waiting on the requester"
    assert render.sla_words(make_ticket(status=Status.CLOSED), NOW) == "—"


def test_status_notes_carry_the_close_reason():
    staff = render.status_note(closed_by("Alice", "fixed <it>"), for_requester=False)
    assert staff.text == "Status Open → Closed by Alice (Slack) — fixed &lt;it&gt;"
    requester = render.status_note(closed_by("Alice", "fixed <it>"), for_requester=True)
    assert requester.text == "Your ticket was closed: fixed &lt;it&gt;. Reply in this thread to reopen it."
    plain = render.status_note(closed_by("Alice", None), for_requester=True)
    assert plain.text == "Your ticket was closed. Reply in this thread to reopen it."


def test_outcomes_say_what_changed_in_words():
    ticket = make_ticket(assignee=Actor("slack", "U9", "Alice"))
    claimed = Changed(ticket, (AssigneeChanged(ticket.id, Actor("slack", "U9", "Alice"), None, ticket.assignee),))
    msg = render.changed_message(claimed)
    assert_message_ok(msg)
    assert msg.blocks[0]["text"]["text"] == "*TKT-B3X9C* is assigned to Alice (Slack)."
    assert msg.blocks[1]["elements"][0]["text"] == "Open · High · Technical · Alice"
    reply = make_message("on it", name="Alice", role=Role.STAFF)
    pending = StatusChanged(ticket.id, reply.author, Status.OPEN, Status.PENDING, by_message=True)
    sent = render.posted_message(Posted(reply, ticket, (MessageAdded(ticket.id, reply.author, 1, Role.STAFF), pending)))
    assert sent.text == "Sent to the requester of TKT-B3X9C; it is now Pending (waiting on the requester)."


def test_a_page_says_what_it_shows_and_offers_the_next():
    tickets = tuple(make_ticket(f"t{i}", tid=f"TKT-B{i:04d}".replace("0", "B")) for i in range(20))
    page = Page(tickets, 25, offset=0, limit=20, query=None, statuses=(Status.OPEN,), mine=True)
    msg = render.page_message(page, staff=True, now=NOW)
    assert_message_ok(msg)
    assert "Showing 1–20 of 25." in texts_of(msg.blocks) and msg.text == "Your queue: Showing 1–20 of 25"
    [pager] = [b for b in msg.blocks if b.get("block_id") == "ticket_pager"]
    [nxt] = pager["elements"]
    assert nxt["action_id"] == render.A_PAGE_NEXT == "ticket_page"
    assert translate.page_command(nxt["value"]) == ListTickets((Status.OPEN,), True, 20, 20)
    capped = render.page_message(Page(tickets, 1000, limit=20, total_capped=True, query="x"), staff=False, now=NOW)
    assert "Showing 1–20 of more than 1000." in texts_of(capped.blocks)
    long_query = "x" * 2100  # too long to remember in a button: the words say how to ask for more
    too_long = render.page_message(Page(tickets, 25, limit=20, query=long_query), staff=True, now=NOW)
    assert not [b for b in too_long.blocks if b["type"] == "actions"]
    assert "add `page:2` to the search" in " ".join(texts_of(too_long.blocks))


# ------------------------------------------------------------------------------------ property
nasty = st.one_of(
    st.text(min_size=0, max_size=400),
    st.lists(
        st.sampled_from(PINGS + ["&", "<", ">", "&amp;", "`", "*", "_", "~", "\n", "😀", " ", "x", "|"]), max_size=120
    ).map("".join),
    st.text(alphabet=st.sampled_from("<>&@!^|x \n😀"), min_size=2900, max_size=3100),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=nasty, body=nasty, name=nasty, category=nasty)
def test_no_user_string_produces_a_ping_or_an_invalid_block(subject: str, body: str, name: str, category: str):
    subject = subject or "x"
    ticket = make_ticket(subject, name=name, category=category or "General", assignee=Actor("slack", "U2", name))
    message = make_message(body, name=name, attachments=(Attachment(name or "f", "https://x.test/f"),))
    for msg in (
        render.ticket_card(ticket, categories=[category or "General", *CATEGORIES], now=NOW),
        render.requester_card(ticket),
        render.thread_message(message),
        render.thread_message(message, for_requester=True),
        render.ticket_details(ticket, [message] * 12, staff=True, now=NOW),
        render.page_message(Page((ticket,) * 3, 3, query=subject), staff=True, now=NOW),
        render.status_note(closed_by(name, reason=body or None), for_requester=False),
        render.status_note(closed_by(name, reason=body or None), for_requester=True),
        render.changed_message(Changed(ticket, (closed_by(name, reason=body or None),))),
        render.posted_message(Posted(message, ticket, (), ticket.id)),
        render.notice(body or "ok"),
        render.help_message(body or "help", problem=body or None),
    ):
        assert_message_ok(msg)
    views = [
        render.home_view([ticket] * 25, staff=True, now=NOW, offset=20, has_more=True),
        render.home_view([ticket], staff=False, now=NOW),
        render.new_ticket_modal(categories=CATEGORIES, subject=subject, description=body, metadata={"s": subject}),
        render.reply_modal(ticket),
    ]
    for view in views:
        assert validate_view(view) == [], validate_view(view)
        assert_inert(*mrkdwn_texts(view["blocks"]))
    if body.strip() and len(body) < 2000:  # nothing is lost below the limits
        shown = "".join(b["text"]["text"] for b in render.thread_message(message).blocks if b["type"] == "section")
        assert unescape(shown) == render.escape(body).replace("&lt;", "<").replace("&gt;", ">").replace(
            "&amp;", "&"
        ).replace("\u200b", "")
