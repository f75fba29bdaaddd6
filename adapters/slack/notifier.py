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

Failures raise, so the outbox retries the event: a 429 raises ``RetryLater(Retry-After)``; errors an operator
must fix (``not_in_channel``, ``channel_not_found``, ``invalid_auth``…) are logged at ERROR with the ticket id
first. A requester Slack will never let us DM (``DM_IMPOSSIBLE``) is recorded as that step's result: the staff
side still gets every update.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from core.delivery import Deliveries
from core.events import Event, MessageAdded, StatusChanged
from core.model import Link, Message, Role, Status, Ticket, origin_kind
from core.ports import Clock, RetryLater
from core.queries import Queries

log = logging.getLogger(__name__)

PLATFORM = "slack"
STAFF_CARD = "staff_card"
REQUESTER_DM = "requester_dm"
DEFAULT_RETRY_AFTER = 30.0
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
    ) -> None:
        self.queries = queries
        self.deliveries = deliveries
        self.client = client
        self.clock = clock
        self.staff_channel = staff_channel
        self.categories = list(categories)

    async def notify(self, event: Event) -> None:
        try:
            await self._deliver(event)
        except SlackApiError as err:
            raise self._failure(err, event) from err

    def _failure(self, err: SlackApiError, event: Event) -> Exception:
        error = error_code(err)
        if err.response.status_code == 429 or error == "ratelimited":
            retry_after = err.response.headers.get("Retry-After") if err.response.headers else None
            delay = float(retry_after) if retry_after and str(retry_after).isdigit() else DEFAULT_RETRY_AFTER
            return RetryLater(delay, f"Slack rate limit ({err.response.api_url.rsplit('/', 1)[-1]})")
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

    async def _deliver(self, event: Event) -> None:
        ticket = await self.queries.ticket(event.ticket_id)
        card = await self._card(ticket)
        dm = await self._dm(ticket) if ticket.requester.platform == PLATFORM else None
        if isinstance(event, MessageAdded):
            await self._message_added(ticket, event, card, dm)
        elif isinstance(event, StatusChanged):
            await self._status_changed(ticket, event, card, dm)
        # anything else (opened, priority, category, assignee, rating): the card and the DM above say it all

    # ------------------------------------------------------------------------------------------ card
    async def _card(self, ticket: Ticket) -> Link | None:
        """The staff card, edited in place; posted once when there is none (or Slack says it is gone)."""
        if not self.staff_channel:
            return None
        card = render.ticket_card(ticket, categories=self.categories, now=self.clock.now())
        link = await self.queries.link(ticket.id, PLATFORM, STAFF_CARD)
        if link is not None and link.channel_id == self.staff_channel and link.message_id:
            try:
                await self.client.chat_update(
                    channel=link.channel_id, ts=link.message_id, text=card.text, blocks=card.blocks
                )
                return link
            except SlackApiError as err:
                if error_code(err) not in CARD_GONE:
                    raise
                log.warning("the card of %s is gone; posting a new one", ticket.id, extra={"ticket_id": ticket.id})
        staff_channel = self.staff_channel
        replaces = link.message_id if link is not None and link.message_id else "first"

        async def post() -> str:
            resp = await self.client.chat_postMessage(channel=staff_channel, **card.kwargs())
            return _place(resp["channel"], resp["ts"])

        place = await self.deliveries.once(f"ticket:{ticket.id}", f"slack_card:{staff_channel}:{replaces}", post)
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
            resp = await self.client.chat_postMessage(
                channel=card.channel_id, thread_ts=card.thread_id, **shown.kwargs()
            )
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
        card = render.requester_card(ticket)
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
                resp = await self.client.chat_postMessage(channel=channel, **card.kwargs())
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
            resp = await self.client.chat_postMessage(channel=dm.channel_id, thread_ts=dm.thread_id, **shown.kwargs())
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

    async def _post_note(self, event: StatusChanged, step: str, where: Link, note: render.SlackMessage) -> None:
        async def post() -> str:
            resp = await self.client.chat_postMessage(
                channel=where.channel_id, thread_ts=where.thread_id, **note.kwargs()
            )
            return str(resp["ts"])

        await self.deliveries.once(event.event_id, step, post)
