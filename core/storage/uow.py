"""The unit of work: one connection, one transaction, and the stores that work inside it.

Transactions are synchronous functions: ``await database.write(lambda uow: …)`` runs the whole function on
one connection inside one transaction (see ``core.storage.database``). Store methods are plain ``def``s over a
sync SQLAlchemy ``Connection``: nothing inside a transaction awaits, so a transaction can run in one driver
call and never interleaves with another task's work on the same connection.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from core.storage.aggregates import StatsStore
from core.storage.bulk import ImportStore
from core.storage.deliveries import DeliveryStore
from core.storage.fulltext import SearchStore
from core.storage.queue import OutboxStore
from core.storage.tickets import TicketStore


class UnitOfWork:
    """The stores of one transaction; built by ``SqlDatabase`` for each ``read``/``write``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.tickets = TicketStore(conn)
        self.stats = StatsStore(conn)
        self.search = SearchStore(conn)
        self.outbox = OutboxStore(conn)
        self.deliveries = DeliveryStore(conn)
        self.imports = ImportStore(conn)

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name
