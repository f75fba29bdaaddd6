"""``ticketbot import`` as a real process: from one database's ``ticket show --json`` into another."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.processes import Run, ticketbot


@pytest.fixture
def cli(tmp_path: Path) -> Callable[[str], Run]:
    """``cli("a")(*args)`` runs ``ticketbot`` against the SQLite database ``a``."""
    return lambda db: ticketbot(tmp_path, tmp_path / f"{db}.db")


def exported(run: Run) -> list[str]:
    """Every ticket of a database as import lines: ``ticket show --json``, one line each."""
    listed = json.loads(run("ticket", "list", "--status", "all", "--json").stdout)["items"]
    return [json.dumps(json.loads(run("ticket", "show", t["id"], "--json").stdout)) for t in listed]


def test_tickets_move_to_another_database_whole(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old, new = cli("old"), cli("new")
    a = json.loads(old("ticket", "create", "--user", "u1", "--subject", "Cannot log in", "--message", "500 error",
                       "--priority", "high", "--email", "u1@example.com", "--json").stdout)["id"]  # fmt: skip
    old("ticket", "reply", a, "--staff", "sam", "--message", "Reset your password")
    old("ticket", "note", a, "--staff", "sam", "--message", "looks like the SSO bug")
    old("ticket", "close", a, "--reason", "fixed")
    old("ticket", "rate", a, "5", "--user", "u1")
    b = json.loads(old("ticket", "create", "--user", "u2", "--subject", "Invoice missing", "--category", "billing",
                       "--json").stdout)["id"]  # fmt: skip
    lines = exported(old)
    (tmp_path / "tickets.jsonl").write_text("\n".join(lines) + "\n")

    assert new("import", "tickets.jsonl", "--dry-run").stdout.strip() == (
        "would import 2 tickets (3 messages); nothing was written (--dry-run)"
    )
    assert json.loads(new("stats", "--json").stdout)["total"] == 0
    assert new("import", "tickets.jsonl").stdout.strip() == "imported 2 tickets (3 messages)"

    for tid in (a, b):  # the same ticket, thread and times; only the row's version and message ids are new
        before = json.loads(old("ticket", "show", tid, "--json").stdout)
        after = json.loads(new("ticket", "show", tid, "--json").stdout)
        for doc in (before, after):
            doc["ticket"].pop("version")
            doc["ticket"].pop("sla_state")
            for m in doc["messages"]:
                m.pop("id")
        assert after == before
    stats_old, stats_new = (json.loads(run("stats", "--json").stdout) for run in (old, new))
    for name in ("total", "open", "closed", "avg_first_response", "avg_resolution", "csat_average",
                 "by_category", "by_priority"):  # fmt: skip
        assert stats_new[name] == stats_old[name], name
    found = json.loads(new("ticket", "search", "password", "--json").stdout)
    assert [t["id"] for t in found["items"]] == [a]
    assert [t["id"] for t in json.loads(new("ticket", "search", "SSO", "--json").stdout)["items"]] == [a]

    again = new("import", "tickets.jsonl", code=1)  # the ids are taken now: nothing is imported twice
    assert again.stderr.splitlines() == [
        f"line 1: ticket {json.loads(lines[0])['ticket']['id']} already exists",
        f"line 2: ticket {json.loads(lines[1])['ticket']['id']} already exists",
        "error: 2 of 2 lines have errors; nothing was imported",
    ]


def test_bad_lines_are_reported_by_number_and_nothing_is_imported(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = cli("db")
    good = {"ticket": {"subject": "Printer on fire", "requester": {"platform": "email", "user_id": "ann"},
                       "created_at": "2026-11-01T09:30:00Z"},
            "messages": [{"author": {"platform": "email", "user_id": "ann"}, "role": "requester",
                          "body": "Smoke everywhere", "created_at": "2026-11-01T09:30:00Z"}]}  # fmt: skip
    bad = {"ticket": {**good["ticket"], "priority": "asap"}}
    text = "\n".join([json.dumps(good), "{oops", "", json.dumps(bad), json.dumps(good)]) + "\n"
    (tmp_path / "in.jsonl").write_text(text)
    failed = run("import", "in.jsonl", code=1)
    assert failed.stderr.splitlines() == [
        "line 2: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        "line 4: ticket.priority: unknown priority 'asap'; choose one of Low, Medium, High, Urgent",
        "error: 2 of 4 lines have errors; nothing was imported",
    ]
    as_json = json.loads(run("import", "in.jsonl", "--json", code=1).stderr)
    assert as_json["error"]["code"] == "invalid_input"
    assert [e["line"] for e in as_json["error"]["lines"]] == [2, 4]
    assert json.loads(run("stats", "--json").stdout)["total"] == 0

    fixed = "\n".join([json.dumps(good), json.dumps(good)]) + "\n"  # no ids: each line gets a new ticket
    done = json.loads(run("import", "-", "--json", stdin=fixed).stdout)
    assert done == {"imported": 2, "tickets": 2, "messages": 2, "dry_run": False}
    found = json.loads(run("ticket", "search", "smoke", "--json").stdout)
    assert found["total"] == 2 and {t["created_at"] for t in found["items"]} == {"2026-11-01T09:30:00+00:00"}


def test_an_unreadable_file_is_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    missing = cli("db")("import", "nowhere.jsonl", code=2)
    assert missing.stderr.strip() == "error: cannot read nowhere.jsonl: No such file or directory"
