"""The row shape of an imported message: light on purpose, so ``ticketbot import`` can parse a file before it
loads the storage machinery (see core.storage.bulk)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class ImportedMessage(NamedTuple):
    """One message of an imported thread, in ``messages`` column order (after ``ticket_id``)."""

    author_platform: str
    author_id: str
    author_name: str
    role: str
    body: str
    internal: bool
    attachments: list[dict[str, object]]
    created_at: datetime
