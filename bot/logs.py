"""Log formatting: one line per record, with the ticket id and platform when the record carries them."""

from __future__ import annotations

import logging
import sys

CONTEXT = ("ticket_id", "platform")


class ContextFormatter(logging.Formatter):
    """``… message ticket_id=TKT-B3X9C platform=discord`` — so every line about a ticket can be grepped."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{k}={getattr(record, k)}" for k in CONTEXT if getattr(record, k, None))
        if not extras:
            return line
        head, sep, rest = line.partition("\n")  # keep a traceback below the first line
        return f"{head} {extras}{sep}{rest}"


def configure(level: str | int = logging.WARNING) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ContextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
