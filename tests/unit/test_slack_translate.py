"""Reading Slack input: markup to plain text, subjects, files, thread intents, modal values."""

from __future__ import annotations

import pytest
import slack_bolt.version

from adapters.slack import translate
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
    ticket_id, body, files = translate.read_reply(view)  # type: ignore[misc]
    assert (ticket_id, body, [f.name for f in files]) == ("TKT-BBBBB", "", ["a.txt"])
