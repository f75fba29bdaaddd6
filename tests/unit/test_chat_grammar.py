"""The shared ``/ticket`` grammar (console and Slack parse with it)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.chat import USAGE, ChatCommand, parse_command
from core.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ChatCommand("help")),
        ("help", ChatCommand("help")),
        ("show tkt-b3x9c", ChatCommand("show", ticket_id="TKT-B3X9C")),
        ("CLOSE TKT-B3X9C fixed by reset", ChatCommand("close", ticket_id="TKT-B3X9C", text="fixed by reset")),
        ("reply TKT-B3X9C  Please try again ", ChatCommand("reply", ticket_id="TKT-B3X9C", text="Please try again")),
        ("priority TKT-B3X9C urgent", ChatCommand("priority", ticket_id="TKT-B3X9C", text="urgent")),
        ("search login status:open", ChatCommand("search", text="login status:open")),
        ("list closed mine", ChatCommand("list", text="closed mine")),
        (
            "new Cannot log in | 500 error priority:high category:Technical",
            ChatCommand("new", text="Cannot log in", options={"priority": "high", "category": "Technical",
                                                               "description": "500 error"}),
        ),
        ("new Printer on fire", ChatCommand("new", text="Printer on fire", options={"description": ""})),
    ],
)  # fmt: skip
def test_commands_parse(text: str, expected: ChatCommand) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("frobnicate", "unknown command 'frobnicate'"),
        ("show", "usage: /ticket show <id>"),
        ("close nonsense", "is not a ticket id"),
        ("reply TKT-B3X9C", "usage: /ticket reply <id> <message>"),
        ("new | only a description", "usage: /ticket new"),
        ("assign TKT-B3X9C", "usage: /ticket assign"),
    ],
)
def test_bad_commands_say_how_to_fix_them(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_command(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses_or_raises_invalid_input(text: str) -> None:
    try:
        cmd = parse_command(text)
    except InvalidInput:
        return
    assert cmd.verb in USAGE
