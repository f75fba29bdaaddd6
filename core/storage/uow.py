"""The unit of work: one connection, one transaction, and the stores that work inside it.

Transactions are synchronous functions: ``await database.write(lambda uow: …)`` runs the whole function on
one connection inside one transaction (see ``core.storage.database``). Store methods are plain ``def``s over a
sync SQLAlchemy ``Connection``: nothing inside a transaction awaits, so a transaction can run in one driver
call and never interleaves with another task's work on the same connection. Stores are built on first use
(a CLI call that reads one ticket never loads the search machinery).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from core.storage.tickets import TicketStore

if TYPE_CHECKING:
    from core.digest import Digest
    from core.storage.aggregates import StatsStore
    from core.storage.automation import AutomationStore
    from core.storage.bulk import ImportStore
    from core.storage.deliveries import DeliveryStore
    from core.storage.fulltext import SearchStore
    from core.storage.operations import OperationsStore
    from core.storage.queue import OutboxStore
    from core.storage.timers import TimerStore


class UnitOfWork:
    """The stores of one transaction; built by ``SqlDatabase`` for each ``read``/``write``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tickets = TicketStore(conn)

    @cached_property
    def stats(self) -> StatsStore:
        from core.storage.aggregates import StatsStore

        return StatsStore(self.conn)

    @cached_property
    def search(self) -> SearchStore:
        from core.storage.fulltext import SearchStore

        return SearchStore(self.conn)

    @cached_property
    def outbox(self) -> OutboxStore:
        from core.storage.queue import OutboxStore

        return OutboxStore(self.conn)

    @cached_property
    def deliveries(self) -> DeliveryStore:
        from core.storage.deliveries import DeliveryStore

        return DeliveryStore(self.conn)

    @cached_property
    def timers(self) -> TimerStore:
        from core.storage.timers import TimerStore

        return TimerStore(self.conn)

    def digest(self, *, now: datetime, tz: ZoneInfo, day: date | None = None) -> Digest:
        """The daily digest (``core.digest``), from indexed ranges and the aggregates."""
        from core.storage.digest import load_digest

        return load_digest(self.conn, now=now, tz=tz, day=day)

    @cached_property
    def automation(self) -> AutomationStore:
        from core.storage.automation import AutomationStore

        return AutomationStore(self.conn)

    @cached_property
    def operations(self) -> OperationsStore:
        from core.storage.operations import OperationsStore

        return OperationsStore(self.conn)

    @cached_property
    def imports(self) -> ImportStore:
        from core.storage.bulk import ImportStore

        return ImportStore(self.conn)

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name
