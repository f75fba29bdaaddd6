"""Reading Slack input: markup to plain text, subjects, files, thread intents, modal values."""

from __future__ import annotations

import pytest
import slack_bolt.version

from adapters.slack import translate
from core.commands import ListTickets, Search
from core.model import Status
from tests.fakes.slack import payloads as p

CATEGORIES = ["Technical", "Billing", "General"]


def test_the_pinned_bolt_version_is_the_one_these_tests_were_written_against():
    # the fake Slack and the ack/dispatch behaviour the adapter relies on were checked against this version
    assert slack_bolt.version.__version__ == "1.30.0"


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        ("hi <@U0123|ann> and <@U0456>", "hi @ann and @U0456"),
        ("see <#C0123|general> <#C0999>", "see #general #C0999"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("<!subteam^S0123|@support> ping", "@support ping"),
        ("at <!date^1700000000^{date}|Nov 14>", "at Nov 14"),
        (
            "<https://x.test/a?b=1&amp;c=2|the docs> and <https://y.test>",
            "the docs (https://x.test/a?b=1&c=2) and https://y.test",
        ),
        ("mail <mailto:a@b.test|a@b.test>", "mail a@b.test"),
        ("a &lt;b&gt; &amp;amp; c", "a <b> &amp; c"),
        ("", ""),
    ],
)
def test_slack_markup_becomes_plain_text(slack: str, plain: str):
    assert translate.to_plain(slack) == plain


def test_subject_is_the_first_non_empty_line_cut_to_150():
    assert translate.subject_from("\n\n  VPN   down \nsecond") == "VPN down"
    long = translate.subject_from("x" * 400)
    assert len(long) == 150 and long.endswith("…")
    assert translate.subject_from("   ") == "Message from Slack"


def test_files_keep_their_metadata():
    [a] = translate.attachments_from(
        [
            {
                "id": "F1",
                "name": "a.png",
                "mimetype": "image/png",
                "size": 12,
                "permalink": "https://s/F1",
                "url_private": "https://p",
            }
        ]
    )
    assert (a.name, a.url, a.size, a.content_type) == ("a.png", "https://s/F1", 12, "image/png")


@pytest.mark.parametrize(
    ("event", "person"),
    [
        ({"user": "U1", "text": "hi"}, True),
        ({"user": "U1", "subtype": "file_share"}, True),
        ({"user": "U1", "subtype": "thread_broadcast"}, True),
        ({"user": "U1", "bot_id": "B1"}, False),
        ({"subtype": "message_changed", "message": {"user": "U1"}}, False),
        ({"user": "U1", "subtype": "channel_join"}, False),
        ({"bot_id": "B1", "subtype": "bot_message"}, False),
    ],
)
def test_only_messages_people_wrote_count(event: dict, person: bool):
    assert translate.is_person_message(event) is person


@pytest.mark.parametrize(
    ("mode", "text", "kind", "content"),
    [
        ("explicit", "looks like the fuser", "note", "looks like the fuser"),
        ("thread", "please restart", "reply", "please restart"),
        ("thread", "note: check logs", "note", "check logs"),
        ("thread", "  NOTE:check logs", "note", "check logs"),
        ("thread", "notes are fine", "reply", "notes are fine"),
    ],
)
def test_staff_thread_intent(mode: str, text: str, kind: str, content: str):
    assert translate.staff_thread_intent(text, reply_mode=mode) == translate.ThreadIntent(kind, content)  # type: ignore[arg-type]


def test_user_ref():
    assert translate.user_ref("<@U0ABC|ann>") == "U0ABC"
    assert translate.user_ref("@ann") is None


def _view(**values: dict) -> dict:
    return {"id": "V1", "private_metadata": '{"channel": "C1"}', "state": {"values": values}}


def test_new_ticket_form_reads_and_validates():
    ok = translate.read_new_ticket(
        _view(
            subject={"value": p.text_value("  two   words ")},
            category={"value": p.select_value("Billing")},
            priority={"value": p.select_value("High")},
            description={"value": p.text_value(None)},
        ),
        CATEGORIES,
    )
    assert isinstance(ok, translate.NewTicketForm)
    assert (ok.subject, ok.category, ok.priority, ok.description, ok.metadata) == (
        "two words",
        "Billing",
        "High",
        "",
        {"channel": "C1"},
    )
    errors = translate.read_new_ticket(
        _view(subject={"value": p.text_value(" ")}, category={"value": p.select_value("Nope")}), CATEGORIES
    )
    assert set(errors) == {"subject", "category", "priority"}  # type: ignore[arg-type]


def test_reply_form_needs_text_or_a_file():
    view = {"private_metadata": "TKT-BBBBB", "state": {"values": {"body": {"value": p.text_value("  ")}}}}
    assert translate.read_reply(view) == {"body": "Write a reply (or attach a file)."}
    view["state"]["values"]["files"] = {"value": p.files_value([{"name": "a.txt"}])}
    form = translate.read_reply(view)  # a modal opened before the metadata said where it came from
    assert isinstance(form, translate.ReplyForm)
    assert (form.ticket_id, form.body, [f.name for f in form.attachments]) == ("TKT-BBBBB", "", ["a.txt"])
    assert (form.channel, form.from_home) == (None, False)


def test_reply_form_remembers_where_its_button_was_pressed():
    values = {"body": {"value": p.text_value(" hi ")}}
    in_channel = {"private_metadata": '{"ticket_id":"TKT-BBBBB","channel":"C0STAFF"}', "state": {"values": values}}
    assert translate.read_reply(in_channel) == translate.ReplyForm("TKT-BBBBB", "hi", (), "C0STAFF", False)
    at_home = {"private_metadata": '{"ticket_id":"TKT-BBBBB","home":true}', "state": {"values": values}}
    assert translate.read_reply(at_home) == translate.ReplyForm("TKT-BBBBB", "hi", (), None, True)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        (
            "new Printer &lt;b&gt; on fire | see <https://x.test|docs>",
            "new Printer <b> on fire | see docs (https://x.test)",
        ),
        ("reply TKT-BBBBB hi <@U0123|ann> &amp; co", "reply TKT-BBBBB hi @ann & co"),
        ("assign TKT-BBBBB <@U0123|ann>", "assign TKT-BBBBB <@U0123|ann>"),  # the resolver needs the mention
        ("ASSIGN TKT-BBBBB <@U0123>", "ASSIGN TKT-BBBBB <@U0123>"),
        ("search requester:<@U0123|ann> &lt;500&gt;", "search requester:U0123 <500>"),  # a person by id
    ],
)
def test_command_text_is_plain_except_people(typed: str, read: str):
    assert translate.command_text(typed) == read


def test_page_state_round_trips_to_the_command_it_pages():
    listed = translate.page_state(offset=20, limit=20, query=None, statuses=(Status.CLOSED,), mine=True)
    assert listed is not None and translate.page_command(listed) == ListTickets((Status.CLOSED,), True, 20, 20)
    searched = translate.page_state(offset=40, limit=20, query='login "500 error" status:open')
    assert searched is not None
    assert translate.page_command(searched) == Search('login "500 error" status:open', 20, 40)
    assert translate.page_state(offset=20, limit=20, query="x" * 2000) is None  # over a button value's limit
    for stale in ("", "{}", "[1]", '{"o":"x","l":20}', '{"o":0,"l":20,"s":["Nope"]}', "not json"):
        assert translate.page_command(stale) is None
