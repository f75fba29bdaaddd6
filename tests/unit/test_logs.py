"""Every log line about a ticket names it."""

from __future__ import annotations

import logging

from bot.logs import ContextFormatter


def record(**extra: object) -> logging.LogRecord:
    rec = logging.LogRecord("core.desk", logging.INFO, __file__, 1, "ticket opened", None, None)
    rec.__dict__.update(extra)
    return rec


def test_ticket_id_and_platform_are_appended() -> None:
    fmt = ContextFormatter("%(name)s: %(message)s")
    assert fmt.format(record(ticket_id="TKT-B3X9C", platform="discord")) == (
        "core.desk: ticket opened ticket_id=TKT-B3X9C platform=discord"
    )
    assert fmt.format(record()) == "core.desk: ticket opened"
