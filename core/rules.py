"""Automatic tickets: keyword rules in watched channels, alerts from monitoring, webhook deliveries.

Platform-neutral: an adapter translates what it received (a chat message, an Alertmanager payload) and calls
``AutoTickets``; every ticket change is a ``core.commands`` command run by ``Desk.execute``, so the desk's
rules hold here too (the per-person open limit, permissions, idempotency). What must survive a restart or be
shared by replicas is a row (``core.storage.automation``):

- a keyword opens at most one ticket per person per cooldown (the claim names the message, so a retried
  delivery of the same message gets the same ticket, never a second one);
- an alert key (Alertmanager's group key, a fingerprint) is on one open ticket at a time: the same key again
  adds a system message to it; once that ticket is closed, the next firing opens a new one. Concurrent
  deliveries of a new key open one ticket: the opening is idempotent on ``(key, generation)``;
- a webhook signature is accepted once (replay protection).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

from core.commands import AddNote, Changed, Close, OpenTicket, SystemMessage
from core.config import split_list
from core.desk import Desk
from core.errors import InvalidInput, TicketError
from core.model import SUBJECT_MAX, Actor, Priority, Status, Ticket

DEFAULT_PRIORITY_MAP = "critical:urgent,error:high,warning:medium,info:low"
SIGNATURE_MEMORY = timedelta(minutes=10)  # signatures are kept longer than a timestamp is accepted (5 min)
IDEMPOTENCY_MEMORY = timedelta(hours=24)  # as core.storage.tickets.IDEMPOTENCY_WINDOW


def parse_priority_map(text: str) -> dict[str, Priority]:
    """``"critical:urgent,error:high"`` → ``{"critical": Priority.URGENT, …}`` (severities lower-cased)."""
    mapping: dict[str, Priority] = {}
    for pair in split_list(text):
        severity, _, priority = str(pair).partition(":")
        if not severity.strip() or not priority.strip():
            raise InvalidInput(f"{pair!r} is not severity:priority (e.g. critical:urgent)")
        mapping[severity.strip().lower()] = Priority.parse(priority)
    return mapping


def subject_from(text: str) -> str:
    """A subject from free text: its first non-empty line, shortened to fit."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = " ".join(line.split())
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1].rstrip() + "…"


class KeywordMatcher:
    """Finds the first configured keyword in a text: whole words (or phrases), case-insensitive."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self.keywords = tuple(k.strip() for k in keywords if k.strip())
        alternatives = "|".join(re.escape(k) for k in sorted(self.keywords, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if alternatives else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def match(self, text: str) -> str | None:
        if self._pattern is None:
            return None
        found = self._pattern.search(text or "")
        return found.group(0) if found else None


@dataclass(frozen=True)
class Alert:
    """One alert notification, as the web adapter translated it.

    ``key`` groups notifications onto one ticket (Alertmanager's ``groupKey``, else a fingerprint); ``details``
    is the text for the ticket (what fired, labels, links); the highest of ``severities`` picks the priority;
    ``count``: how many alerts of the group are firing.
    """

    key: str
    firing: bool
    title: str
    details: str
    severities: tuple[str, ...] = ()
    count: int = 1


AlertAction = Literal["opened", "updated", "resolved", "closed", "ignored"]


@dataclass(frozen=True)
class Outcome:
    """What an automatic rule did: the ticket it touched (None when it ignored the input) and how."""

    action: AlertAction
    ticket: Ticket | None = None


class AutoTickets:
    """The automatic-ticket rules of one desk (built by the composition root from the configuration)."""

    def __init__(
        self,
        desk: Desk,
        *,
        keywords: Iterable[str] = (),
        cooldown: timedelta = timedelta(minutes=10),
        priority_map: Mapping[str, Priority] | str = DEFAULT_PRIORITY_MAP,
        close_on_resolve: bool = False,
    ) -> None:
        self.desk = desk
        self.keywords = KeywordMatcher(keywords)
        self.cooldown = cooldown
        self.priority_map = parse_priority_map(priority_map) if isinstance(priority_map, str) else dict(priority_map)
        self.close_on_resolve = close_on_resolve
        self.system = Actor.system()

    # ------------------------------------------------------------------------------ keyword rules
    async def from_keyword(self, author: Actor, text: str, *, message_key: str) -> Changed | None:
        """Open a ticket for ``author`` when ``text`` holds a keyword and they are not cooling down.

        ``message_key`` names the message (platform, channel, id): a retried delivery of it returns the same
        ticket. None when no keyword matched or the author got a ticket this way less than the cooldown ago.
        A refusal of the desk (e.g. the open-ticket limit) is raised as it is, and starts no cooldown.
        """
        if not self.keywords.match(text):
            return None
        now = self.desk.clock.now()
        claim = f"keyword:{message_key}"[:200]
        person = author.key[:100]
        claimed = await self.desk.db.write(
            lambda uow: uow.automation.claim_cooldown(person, claim, now, now + self.cooldown)
        )
        if not claimed:
            return None
        command = OpenTicket(subject_from(text), text, requester=author, idempotency_key=claim)
        try:
            result = await self.desk.execute(command, author)
        except TicketError:
            await self.desk.db.write(lambda uow: uow.automation.release_cooldown(person, claim))
            raise
        assert isinstance(result, Changed)
        return result

    # ------------------------------------------------------------------------------ alerts
    def priority_of(self, severities: Iterable[str]) -> Priority | None:
        """The highest priority the severities map to (``TICKETBOT_ALERTS__PRIORITY_MAP``); None: the default."""
        mapped = [p for s in severities if (p := self.priority_map.get(s.strip().lower())) is not None]
        order = list(Priority)
        return max(mapped, key=order.index) if mapped else None

    async def from_alert(self, alert: Alert, source: Actor) -> Outcome:
        """Firing: open a ticket for the alert's key, or add to the one open for it. Resolved: note it on the
        open ticket and, with ``close_on_resolve``, close it. ``source`` is who sent it (the requester)."""
        key = "alert:" + hashlib.sha256(f"{source.platform}\0{alert.key}".encode()).hexdigest()[:40]
        current = await self.open_ticket_for(key)
        if not alert.firing:
            if current is None:
                return Outcome("ignored")
            await self.desk.execute(AddNote(current.id, f"Resolved: {alert.title}\n\n{alert.details}"), self.system)
            if not self.close_on_resolve:
                return Outcome("resolved", await self.desk.queries.ticket(current.id))
            closed = await self.desk.execute(Close(current.id, "the alert resolved"), self.system)
            assert isinstance(closed, Changed)
            return Outcome("closed", closed.ticket)
        if current is None:
            priority = self.priority_of(alert.severities)
            command = OpenTicket(alert.title, alert.details, priority=priority, requester=_trusted(source))
            ticket, created = await self.open_once(key, command)
            if created:
                return Outcome("opened", ticket)
            current = ticket
        firing = "Fired again" if alert.count <= 1 else f"{alert.count} alerts firing"
        await self.desk.execute(SystemMessage(current.id, f"{firing}: {alert.title}\n\n{alert.details}"), self.system)
        return Outcome("updated", current)

    async def from_webhook(self, command: OpenTicket, source: Actor, *, fingerprint: str | None = None) -> Outcome:
        """The generic webhook: open ``command``'s ticket; with a ``fingerprint``, deliveries that share it add
        to its open ticket instead, as alerts do."""
        if fingerprint:
            alert = Alert(fingerprint, True, command.subject, command.description)
            return await self.from_alert(alert, source)
        requester = command.requester or _trusted(source)  # a person named in the delivery, or the source itself
        result = await self.desk.execute(replace(command, requester=requester), _trusted(source))
        assert isinstance(result, Changed)
        return Outcome("opened", result.ticket)

    # ------------------------------------------------------------------------------ one open ticket per key
    async def open_ticket_for(self, key: str) -> Ticket | None:
        """The ticket ``key`` is on, if it is not closed."""
        bound = await self.desk.db.read(lambda uow: uow.automation.keyed_ticket(key))
        if bound is None:
            return None
        ticket = await self.desk.queries.find_ticket(bound[0])
        return ticket if ticket is not None and ticket.status is not Status.CLOSED else None

    async def last_ticket_for(self, key: str) -> Ticket | None:
        bound = await self.desk.db.read(lambda uow: uow.automation.keyed_ticket(key))
        return await self.desk.queries.find_ticket(bound[0]) if bound else None

    async def open_once(self, key: str, command: OpenTicket, actor: Actor | None = None) -> tuple[Ticket, bool]:
        """The open ticket of ``key``, or ``command``'s new one: ``(ticket, created)``.

        The opening is idempotent on the key and its generation (how many tickets it has had), so concurrent
        deliveries of a new key make one ticket and the others get that one back.
        """
        for _ in range(3):
            bound = await self.desk.db.read(lambda uow: uow.automation.keyed_ticket(key))
            generation = 1
            if bound is not None:
                current = await self.desk.queries.find_ticket(bound[0])
                if current is not None and current.status is not Status.CLOSED:
                    return current, False
                generation = bound[1] + 1
            result = await self.desk.execute(
                replace(command, idempotency_key=f"{key}#{generation}"), actor or self.system
            )
            assert isinstance(result, Changed)
            ticket = result.ticket
            await self._bind(key, ticket.id, generation)
            if result.events or ticket.status is not Status.CLOSED:
                return ticket, bool(result.events)
            # an earlier generation's ticket, closed meanwhile: look again at what the key is on now
        raise RuntimeError(f"no open ticket for {key} after 3 attempts")

    async def _bind(self, key: str, ticket_id: str, generation: int) -> None:
        now = self.desk.clock.now()
        await self.desk.db.write(lambda uow: uow.automation.bind_keyed_ticket(key, ticket_id, generation, now))

    # ------------------------------------------------------------------------------ webhook replays
    async def first_delivery(self, signature: str) -> bool:
        """Record a webhook's signature; False when the same signed delivery came before (a replay)."""
        digest = hashlib.sha256(signature.encode()).hexdigest()
        now = self.desk.clock.now()
        return bool(await self.desk.db.write(lambda uow: uow.automation.first_sight(digest, now)))

    async def forget_delivery(self, signature: str) -> None:
        """The delivery failed on our side: let the sender's retry of it through."""
        digest = hashlib.sha256(signature.encode()).hexdigest()
        await self.desk.db.write(lambda uow: uow.automation.forget_signature(digest))

    async def purge(self) -> int:
        """Forget expired signatures, cooldowns and idempotency keys (run every few minutes)."""
        now = self.desk.clock.now()
        return int(
            await self.desk.db.write(
                lambda uow: uow.automation.purge(
                    now=now, signatures_before=now - SIGNATURE_MEMORY, keys_before=now - IDEMPOTENCY_MEMORY
                )
            )
        )


def _trusted(source: Actor) -> Actor:
    """A machine source (monitoring, a webhook) opens tickets on the operator's word: the per-person open
    limit is for people, so the acting side is marked staff (the stored requester never is)."""
    return replace(source, is_staff=True)


def describe_labels(labels: Mapping[str, str], skip: Sequence[str] = ()) -> str:
    """``alertname=HighLatency, severity=critical`` (sorted; ``skip`` left out)."""
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in skip)
