"""The shared ``/ticket`` grammar (console and Slack parse with it): text → a core command, or a usage."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.chat import PAGE_SIZE, Help, parse_command
from core.commands import (
    AddNote,
    Assign,
    ChangeStatus,
    Close,
    Command,
    ListTickets,
    OpenTicket,
    Rate,
    Reply,
    Search,
    SetCategory,
    SetPriority,
    ShowTicket,
    UserRef,
)
from core.errors import InvalidInput
from core.model import Status

CATEGORIES = ("Tech Support", "Billing")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("help", Help()),
        ("show tkt-b3x9c", ShowTicket("TKT-B3X9C")),
        ("CLOSE TKT-B3X9C fixed by reset", Close("TKT-B3X9C", "fixed by reset")),
        ("close TKT-B3X9C", Close("TKT-B3X9C", None)),
        ("reply TKT-B3X9C  Please try again ", Reply("TKT-B3X9C", "Please try again")),
        ("note TKT-B3X9C \"quoted\" stays", AddNote("TKT-B3X9C", "\"quoted\" stays")),
        ("priority TKT-B3X9C urgent", SetPriority("TKT-B3X9C", "urgent")),
        ("category TKT-B3X9C \"Tech Support\"", SetCategory("TKT-B3X9C", "Tech Support")),
        ("status TKT-B3X9C pending", ChangeStatus("TKT-B3X9C", "pending")),
        ("rate TKT-B3X9C 4", Rate("TKT-B3X9C", 4)),
        ("search login status:open", Search("login status:open", PAGE_SIZE, 0)),
        ("search login page:3", Search("login", PAGE_SIZE, 2 * PAGE_SIZE)),
        ("list closed mine", ListTickets((Status.CLOSED,), True, PAGE_SIZE, 0)),
        ("list all page 2", ListTickets(tuple(Status), False, PAGE_SIZE, PAGE_SIZE)),
        ("list", ListTickets((Status.OPEN, Status.PENDING), False, PAGE_SIZE, 0)),
        (
            "new Cannot log in | 500 error priority:high category:billing",
            OpenTicket("Cannot log in", "500 error", "billing", "high"),
        ),
        ("new Printer on fire", OpenTicket("Printer on fire")),
        ("new Router category:\"tech support\"", OpenTicket("Router", "", "tech support")),
    ],
)  # fmt: skip
def test_commands_parse(text: str, expected: Command | Help) -> None:
    assert parse_command(text, categories=CATEGORIES) == expected


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ('assign TKT-B3X9C "ann', '"ann'),  # an unbalanced quote is a character, not a crash
        ("assign TKT-B3X9C O'Brien", "O'Brien"),
        ('assign TKT-B3X9C "Ann Lee"', "Ann Lee"),
        ("assign TKT-B3X9C <@U123|ann>", "<@U123|ann>"),
        ("assign TKT-B3X9C none", "none"),
    ],
)
def test_assignee_references_are_taken_as_typed(text: str, ref: str) -> None:
    assert parse_command(text) == Assign("TKT-B3X9C", UserRef(ref))


@pytest.mark.parametrize(
    "text",
    [
        "new Upgrade to priority:1 plan",  # not a priority: part of the subject
        "new Billing category:nonsense question",
    ],
)
def test_words_that_are_not_valid_options_stay_in_the_subject(text: str) -> None:
    cmd = parse_command(text, categories=CATEGORIES)
    assert isinstance(cmd, OpenTicket)
    assert cmd.subject == text.removeprefix("new ")
    assert (cmd.category, cmd.priority) == (None, None)


def test_an_unknown_command_asks_for_help() -> None:
    assert parse_command("frobnicate now") == Help(problem="unknown command 'frobnicate'")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("show", "usage: /ticket show <id>"),
        ("close nonsense", "is not a ticket id"),
        ("reply TKT-B3X9C", "usage: /ticket reply <id> <message>"),
        ("new | only a description", "usage: /ticket new"),
        ("assign TKT-B3X9C", "usage: /ticket assign"),
        ("rate TKT-B3X9C 9", "a rating is a whole number from 1 to 5"),
        ("list someday", "'someday' is not a list filter"),
        ("list page 0", "is not a page number"),
        ("search", "usage: /ticket search"),
    ],
)
def test_bad_commands_say_how_to_fix_them(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_command(text)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses_or_raises_invalid_input(text: str) -> None:
    try:
        cmd = parse_command(text)
    except InvalidInput as exc:
        assert str(exc)
        return
    assert isinstance(cmd, Command | Help)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["assign", "close", "reply", "note", "category", "new", "search", "list", "rate"]),
       st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40))  # fmt: skip
def test_any_arguments_to_a_known_command_parse_or_give_its_usage(verb: str, rest: str) -> None:
    try:
        parse_command(f"{verb} TKT-B3X9C {rest}")
    except InvalidInput as exc:
        assert "usage: /ticket" in str(exc) or "rating" in str(exc) or "page" in str(exc)
