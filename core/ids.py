"""Ticket ids: ``TKT-`` + 5 characters from an alphabet with no vowels and no look-alikes.

No vowels means no words (Discord's word filter rejected ``ticket-1488``-style names); no ``0/O``, ``1/I/L``
means an id read aloud or retyped is still right. Uniqueness is the database's job (primary key), the
generator only proposes; a collision makes the caller draw again.
"""

from __future__ import annotations

import random
import re
import secrets

from core.errors import InvalidInput

ALPHABET = "23456789BCDFGHJKMNPQRSTVWXYZ"
PREFIX = "TKT-"
LENGTH = 5
ID_RE = re.compile(rf"^(?:{PREFIX})?([{ALPHABET}]{{{LENGTH}}})$", re.IGNORECASE)


class TicketIdGenerator:
    """Draws ids; pass a seeded ``random.Random`` for reproducible runs (tests, benchmarks)."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._choice = rng.choice if rng is not None else secrets.choice

    def __call__(self) -> str:
        return PREFIX + "".join(self._choice(ALPHABET) for _ in range(LENGTH))


def normalize_ticket_id(text: str) -> str:
    """Accept ``TKT-B3X9C``, ``tkt-b3x9c`` or ``B3X9C``; return the canonical form or raise ``InvalidInput``."""
    match = ID_RE.match(str(text or "").strip())
    if not match:
        raise InvalidInput(f"{str(text).strip()[:40]!r} is not a ticket id (they look like TKT-B3X9C)")
    return PREFIX + match.group(1).upper()
