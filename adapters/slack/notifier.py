"""The Slack notifier: turns outbox events into the staff card, thread mirrors and the requester's DM.

It reads through the desk's read port (``Queries``) and does every platform call that must not be repeated
through ``Deliveries.once`` (see ``core.delivery``), so a retried event — after a later step failed, or on
another replica — posts nothing twice:

- the staff card (once per ticket and staff channel, and again only to replace a card Slack says is gone),
  then edited in place with ``chat.update`` on every event (idempotent); a new card gets the conversation
  mirrored into its thread before its link is saved, so a retry finishes an interrupted copy;
- each message mirrored into the card's thread (per message and card) and into the requester's DM thread;
- the requester's DM card (once per ticket), and the status notes (per event).

Marks in the staff thread are reactions (``already_reacted`` is success): :white_check_mark: the message
reached the requester (our DM), :outbox_tray: handed to the requester's own platform, :lock: internal note.

Time passing (the scheduler's events) shows too: SLA warnings, breaches and their repeats in the card's thread
and to a Slack assignee by DM — an unassigned breach mentions ``TICKETBOT_SLACK__ESCALATION_USERGROUP``, the
only mention the bot makes on its own; the stale-ticket reminder in the requester's DM thread; the daily digest
with its chart (``files_upload_v2``) in ``TICKETBOT_DIGEST__SLACK_CHANNEL``, once per day and channel. The
requester's DM card tells the response target of the ticket's priority (``core.notices``). An event this
notifier has nothing to show for is logged and delivered as a no-op, never retried forever.

Posting is paced (``core.pacing``): Slack accepts about one message per second per channel, so every post
waits for its channel's slot, and a new card also waits for its place in line — taken when the delivery
starts, in the outbox's order — so a burst of tickets gets its cards in order.

Failures raise, so the outbox retries the event: a 429 raises ``RetryLater(Retry-After)`` (and holds the
channel's posts that long); errors an operator must fix (``not_in_channel``, ``channel_not_found``,
``invalid_auth``…) are logged at ERROR with the ticket id first. A requester Slack will never let us DM
(``DM_IMPOSSIBLE``) is recorded as that step's result: the staff side still gets every update.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncSlackResponse, AsyncWebClient

from adapters.slack import render
from core import notices
from core.chart import render_chart
from core.delivery import Deliveries
from core.events import (
    AssigneeChanged,
    CategoryChanged,
    DigestDue,
    Event,
    MessageAdded,
    PriorityChanged,
    SlaBreached,
    SlaWarning,
    StaleReminder,
    StatusChanged,
    TicketOpened,
    TicketRated,
)
from core.model import Link, Message, Role, Status, Ticket, origin_kind
from core.pacing import Line, Pace, Place
from core.ports import Clock, RetryLater
from core.queries import Queries
from core.sla import SlaPolicy

log = logging.getLogger(__name__)

PLATFORM = "slack"
STAFF_CARD = "staff_card"
REQUESTER_DM = "requester_dm"
DEFAULT_RETRY_AFTER = 30.0
POSTS_PER_SECOND = 1.0  # Slack: "about one message per second per channel"
TICKET_EVENTS = (
    TicketOpened, MessageAdded, StatusChanged, PriorityChanged, CategoryChanged, AssigneeChanged, TicketRated,
    SlaWarning, SlaBreached, StaleReminder,
)  # fmt: skip
NEVER = ""  # the result of a step Slack will never allow (a DM to a user who cannot get one)

OPERATOR_ERRORS = {
    "not_in_channel": "invite the bot to the channel (/invite @ticketbot)",
    "channel_not_found": "check TICKETBOT_SLACK__STAFF_CHANNEL (a channel id like C0123ABC) and that the bot sees it",
    "is_archived": "the channel is archived; unarchive it or change TICKETBOT_SLACK__STAFF_CHANNEL",
    "invalid_auth": "TICKETBOT_SLACK__BOT_TOKEN is not valid; reinstall the app and update the token",
    "not_authed": "TICKETBOT_SLACK__BOT_TOKEN is missing",
    "token_revoked": "the bot token was revoked; reinstall the app",
    "account_inactive": "the bot token belongs to a deactivated app or workspace",
    "missing_scope": "the app lacks a scope; reinstall it from manifest.yml",
}
# the requester cannot be reached by DM: nothing to retry, the staff side still gets its updates
DM_IMPOSSIBLE = {"user_not_found", "user_disabled", "cannot_dm_bot", "user_not_visible", "messages_tab_disabled"}
CARD_GONE = {"message_not_found", "cant_update_message"}


def error_code(err: SlackApiError) -> str:
    return str(err.response.get("error") or "")


def rate_limited(err: SlackApiError) -> bool:
    return err.response.status_code == 429 or error_code(err) == "ratelimited"


def retry_after(err: SlackApiError) -> float:
    """Slack's ``Retry-After`` (whole seconds), or a cautious default when it sent none."""
    value = err.response.headers.get("Retry-After") if err.response.headers else None
    return float(value) if value and str(value).isdigit() else DEFAULT_RETRY_AFTER


def _place(channel: object, ts: object) -> str:
    """A posted message's place, as a step result: ``"C0123 1700000000.000100"``."""
    return f"{channel} {ts}"


def _link(ticket_id: str, kind: str, place: str) -> Link:
    channel, _, ts = place.partition(" ")
    return Link(ticket_id, PLATFORM, kind, channel, thread_id=ts, message_id=ts)


class SlackNotifier:
    """``core.ports.Notifier`` named "slack" (the outbox consumer name)."""

    name = PLATFORM

    def __init__(
        self,
        queries: Queries,
        deliveries: Deliveries,
        client: AsyncWebClient,
        *,
        clock: Clock,
        staff_channel: str | None,
        categories: Sequence[str],
        sla: SlaPolicy | None = None,
        escalation_usergroup: str | None = None,
        digest_channel: str | None = None,
        posts_per_second: float = POSTS_PER_SECOND,
    ) -> None:
        self.queries = queries
        self.deliveries = deliveries
        self.client = client
        self.clock = clock
        self.staff_channel = staff_channel
        self.categories = list(categories)
        self.sla = sla or SlaPolicy()
        self.escalation_usergroup = escalation_usergroup
        self.digest_channel = digest_channel
        self.pace = Pace(posts_per_second)
        self.cards = Line()

    async def notify(self, event: Event) -> None:
        place = self.cards.join(self.staff_channel or "")  # before the first await: the outbox's order
        try:
            if isinstance(event, DigestDue):
                await self._digest(event)
            elif isinstance(event, TICKET_EVENTS):
                await self._ticket_event(event, place)
            else:  # a core event Slack shows nothing for: delivered as a no-op, visibly, never retried
                log.info("slack: nothing to show for %s events", event.name, extra={"ticket_id": event.ticket_id})
        except SlackApiError as err:
            raise self._failure(err, event) from err
        finally:
            place.leave()

    def _failure(self, err: SlackApiError, event: Event) -> Exception:
        error = error_code(err)
        if rate_limited(err):
            return RetryLater(retry_after(err), f"Slack rate limit ({err.response.api_url.rsplit('/', 1)[-1]})")
        if error in OPERATOR_ERRORS:
            log.error(
                "Slack refused %s for ticket %s: %s — %s",
                event.name,
                event.ticket_id,
                error,
                OPERATOR_ERRORS[error],
                extra={"ticket_id": event.ticket_id},
            )
        return err

    async def _ticket_event(self, event: Event, place: Place) -> None:
        ticket = await self.queries.ticket(event.ticket_id)
        card = await self._card(ticket, place)
        dm = await self._dm(ticket) if ticket.requester.platform == PLATFORM else None
        if isinstance(event, MessageAdded):
            await self._message_added(ticket, event, card, dm)
        elif isinstance(event, StatusChanged):
            await self._status_changed(ticket, event, card, dm)
        elif isinstance(event, SlaWarning | SlaBreached):
            await self._sla_alert(ticket, event, card)
        elif isinstance(event, StaleReminder):
            await self._stale_reminder(ticket, event, dm)
        # opened, priority, category, assignee, rating: the card and the DM above say it all

    async def _post(self, channel: str, **kwargs: Any) -> AsyncSlackResponse:
        """``chat.postMessage`` in ``channel``'s pace; a 429 holds the channel's posts for its Retry-After."""
        async with self.pace.slot(channel):
            try:
                return await self.client.chat_postMessage(channel=channel, **kwargs)
            except SlackApiError as err:
                if rate_limited(err):
                    self.pace.hold(channel, retry_after(err))
                raise

    # ------------------------------------------------------------------------------------------ card
    async def _card(self, ticket: Ticket, line: Place) -> Link | None:
        """The staff card, edited in place; posted once when there is none (or Slack says it is gone) — after
        the cards of the deliveries that started earlier (``line``)."""
        if not self.staff_channel:
            line.leave()
            return None
        card = render.ticket_card(ticket, categories=self.categories, now=self.clock.now())
        link = await self.queries.link(ticket.id, PLATFORM, STAFF_CARD)
        if link is not None and link.channel_id == self.staff_channel and link.message_id:
            try:
                await self.client.chat_update(
                    channel=link.channel_id, ts=link.message_id, text=card.text, blocks=card.blocks
                )
                line.leave()  # no new card from this delivery: the next one in line need not wait for it
                return link
            except SlackApiError as err:
                if error_code(err) not in CARD_GONE:
                    raise
                log.warning("the card of %s is gone; posting a new one", ticket.id, extra={"ticket_id": ticket.id})
        staff_channel = self.staff_channel
        replaces = link.message_id if link is not None and link.message_id else "first"

        async def post() -> str:
            await line.turn()
            resp = await self._post(staff_channel, **card.kwargs())
            return _place(resp["channel"], resp["ts"])

        place = await self.deliveries.once(f"ticket:{ticket.id}", f"slack_card:{staff_channel}:{replaces}", post)
        line.leave()
        assert place, "a posted card has a place"
        new = _link(ticket.id, STAFF_CARD, place)
        # bring the conversation into the new card's thread, then link it: a retry after a failure here finds
        # no link yet, takes this path again, and finishes the copy (each mirror is done once)
        for message in await self.queries.thread(ticket.id, include_internal=True):
            await self._mirror_to_staff(ticket, new, message)
        await self.deliveries.save_link(new)
        return new

    async def _mirror_to_staff(self, ticket: Ticket, card: Link, message: Message) -> str | None:
        """Post ``message`` into the card's thread unless it was typed there; return its ts there."""
        origin = await self.queries.link(ticket.id, PLATFORM, origin_kind(message.id))
        if (
            origin is not None
            and message.author.platform == PLATFORM
            and origin.channel_id == card.channel_id
            and origin.thread_id == card.thread_id
        ):
            return origin.message_id

        async def post() -> str:
            shown = render.thread_message(message)
            resp = await self._post(card.channel_id, thread_ts=card.thread_id, **shown.kwargs())
            return str(resp["ts"])

        return await self.deliveries.once(f"message:{message.id}", f"slack_thread:{card.message_id}", post)

    async def _mark(self, card: Link, ts: str | None, name: str) -> None:
        if ts is None:
            return
        try:
            await self.client.reactions_add(channel=card.channel_id, timestamp=ts, name=name)
        except SlackApiError as err:
            if error_code(err) not in ("already_reacted", "message_not_found"):
                raise

    # ------------------------------------------------------------------------------------------ DM
    async def _dm(self, ticket: Ticket) -> Link | None:
        """The requester's DM about this ticket: posted once, then edited in place; None if they cannot get one."""
        ack = notices.acknowledgement(ticket, self.sla, self.clock.now(), moment=render.date_token)
        card = render.requester_card(ticket, acknowledgement=ack)
        link = await self.queries.link(ticket.id, PLATFORM, REQUESTER_DM)
        if link is not None and link.message_id:
            try:
                await self.client.chat_update(
                    channel=link.channel_id, ts=link.message_id, text=card.text, blocks=card.blocks
                )
                return link
            except SlackApiError as err:
                if error_code(err) in DM_IMPOSSIBLE:
                    self._cannot_dm(ticket, err)
                    return None
                if error_code(err) not in CARD_GONE:
                    raise
        replaces = link.message_id if link is not None and link.message_id else "first"
        user_id = ticket.requester.user_id

        async def post() -> str:
            try:
                opened = await self.client.conversations_open(users=user_id)
                channel = str(opened["channel"]["id"])
                resp = await self._post(channel, **card.kwargs())
            except SlackApiError as err:
                if error_code(err) in DM_IMPOSSIBLE:
                    self._cannot_dm(ticket, err)
                    return NEVER  # recorded: later events do not ask again
                raise
            return _place(channel, resp["ts"])

        place = await self.deliveries.once(f"ticket:{ticket.id}", f"slack_dm:{replaces}", post)
        if not place:
            return None
        new = _link(ticket.id, REQUESTER_DM, place)
        await self.deliveries.save_link(new)
        return new

    @staticmethod
    def _cannot_dm(ticket: Ticket, err: SlackApiError) -> None:
        log.warning("cannot DM the requester of %s: %s", ticket.id, error_code(err), extra={"ticket_id": ticket.id})

    async def _post_dm(self, dm: Link, message: Message) -> None:
        async def post() -> str:
            shown = render.thread_message(message, for_requester=True)
            resp = await self._post(dm.channel_id, thread_ts=dm.thread_id, **shown.kwargs())
            return str(resp["ts"])

        await self.deliveries.once(f"message:{message.id}", f"slack_dm_post:{dm.message_id}", post)

    # ------------------------------------------------------------------------------------------ events
    async def _message_added(self, ticket: Ticket, event: MessageAdded, card: Link | None, dm: Link | None) -> None:
        message = await self.queries.message(event.message_id)
        staff_ts = await self._mirror_to_staff(ticket, card, message) if card is not None else None
        if message.internal:
            if card is not None:
                await self._mark(card, staff_ts, render.MARK_INTERNAL)
            return
        if message.role is Role.REQUESTER:
            return
        # a public staff reply or a system message: it goes to the requester
        if ticket.requester.platform == PLATFORM:
            if dm is None:
                return
            await self._post_dm(dm, message)
            mark = render.MARK_SENT
        else:
            mark = render.MARK_HANDED_OFF  # the requester's platform notifier delivers it
        if card is not None and message.role is Role.STAFF:
            await self._mark(card, staff_ts, mark)

    async def _status_changed(self, ticket: Ticket, event: StatusChanged, card: Link | None, dm: Link | None) -> None:
        if card is not None and (event.closed or event.reopened):  # Open ↔ Pending: the card shows it
            note = render.status_note(event, for_requester=False)
            await self._post_note(event, "slack_note_staff", card, note)
        if dm is None or event.old is None or ticket.requester.same_person(event.actor):
            return  # they did it themselves
        if event.new is Status.PENDING and event.by_message:
            return  # the reply they just received says as much
        note = render.status_note(event, for_requester=True)
        await self._post_note(event, "slack_note_requester", dm, note)

    async def _post_note(self, event: Event, step: str, where: Link, note: render.SlackMessage) -> None:
        """Post ``note`` in the thread of ``where`` once for ``event``."""

        async def post() -> str:
            resp = await self._post(where.channel_id, thread_ts=where.thread_id, **note.kwargs())
            return str(resp["ts"])

        await self.deliveries.once(event.event_id, step, post)

    # ------------------------------------------------------------------------------------------ time passing
    async def _sla_alert(self, ticket: Ticket, event: SlaWarning | SlaBreached, card: Link | None) -> None:
        """In the card's thread, and to a Slack assignee by DM; each once per event. Nothing when the ticket
        has moved on since (answered, paused, closed, or no longer overdue)."""
        now = self.clock.now()
        if not notices.sla_alert_holds(ticket, event, now):
            log.info("slack: %s for %s no longer holds; nothing posted", event.name, ticket.id)
            return
        unassigned_breach = isinstance(event, SlaBreached) and ticket.assignee is None
        escalate_to = self.escalation_usergroup if unassigned_breach else None
        if card is not None:
            await self._post_note(
                event, "slack_sla_thread", card, render.sla_alert(ticket, event, now, escalate_to=escalate_to)
            )
        assignee = ticket.assignee
        if assignee is None or assignee.platform != PLATFORM:
            return  # an assignee on another platform hears from that platform's notifier

        async def send() -> str:
            card_url = await self._permalink(card) if card is not None else None
            try:
                opened = await self.client.conversations_open(users=assignee.user_id)
                channel = str(opened["channel"]["id"])
                resp = await self._post(channel, **render.sla_dm(ticket, event, now, card_url).kwargs())
            except SlackApiError as err:
                if error_code(err) not in DM_IMPOSSIBLE:
                    raise
                log.warning("cannot DM %s about %s: %s", assignee.user_id, ticket.id, error_code(err))
                return NEVER
            return _place(channel, resp["ts"])

        await self.deliveries.once(event.event_id, "slack_sla_dm", send)

    async def _stale_reminder(self, ticket: Ticket, event: StaleReminder, dm: Link | None) -> None:
        """The requester's one reminder, in their DM thread (a requester elsewhere hears from their platform)."""
        if dm is None:
            return
        if not notices.stale_reminder_holds(ticket):
            log.info("slack: the stale reminder for %s no longer holds; nothing posted", ticket.id)
            return
        await self._post_note(event, "slack_stale_dm", dm, render.stale_reminder(ticket, event, self.clock.now()))

    async def _permalink(self, link: Link) -> str | None:
        if not link.message_id:
            return None
        resp = await self.client.chat_getPermalink(channel=link.channel_id, message_ts=link.message_id)
        return str(resp["permalink"]) if resp.get("permalink") else None

    async def _digest(self, event: DigestDue) -> None:
        """The digest and its chart in ``TICKETBOT_DIGEST__SLACK_CHANNEL``: one upload per day and channel."""
        channel = event.channel or self.digest_channel
        if not channel:
            log.info(
                "slack: no digest channel (TICKETBOT_DIGEST__SLACK_CHANNEL); the %s digest is not posted", event.day
            )
            return

        async def upload() -> str:
            day = date.fromisoformat(event.day)
            digest = await self.queries.digest(event, now=self.clock.now())
            chart = await asyncio.to_thread(render_chart, digest)
            links: dict[str, str | None] = {}
            for ticket in digest.oldest_open:
                card = await self.queries.link(ticket.id, PLATFORM, STAFF_CARD)
                links[ticket.id] = await self._permalink(card) if card is not None else None
            text = render.digest_message(digest, lambda t: links.get(t.id))
            async with self.pace.slot(channel):
                try:
                    resp = await self.client.files_upload_v2(
                        channel=channel,
                        file=chart,
                        filename=f"digest-{day.isoformat()}.png",
                        title=f"Tickets per day, 14 days to {day:%a} {day.day} {day:%b}",
                        initial_comment=text,
                    )
                except SlackApiError as err:
                    if rate_limited(err):
                        self.pace.hold(channel, retry_after(err))
                    raise
            files = resp.get("files") or [{}]
            return str(files[0].get("id") or "")

        await self.deliveries.once(event.once_key, f"digest:slack:{channel}", upload)
