"""The Slack notifier: turns outbox events into the staff card, thread mirrors and the requester's DM.

Delivery is at least once, so every step is idempotent-ish: the card is posted once (a ``staff_card`` link)
and edited in place with ``chat.update`` on every event; a mirrored message is posted once (a
``staff_msg:<id>`` / ``dm_msg:<id>`` link); marks are reactions (``already_reacted`` is success).

Marks in the staff thread: :white_check_mark: the message reached the requester (our DM),
:outbox_tray: handed to the requester's own platform, :lock: internal note.

Failures: a 429 raises ``RetryLater(Retry-After)``; errors an operator must fix (``not_in_channel``,
``channel_not_found``, ``invalid_auth``…) are logged at ERROR with the ticket id and re-raised so the
dispatcher retries with backoff — the event stays in the outbox until it is delivered.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from core.desk import Desk
from core.events import Event, MessageAdded, StatusChanged, TicketOpened
from core.model import Actor, Link, Message, Role, Ticket, origin_kind
from core.ports import RetryLater

log = logging.getLogger(__name__)

PLATFORM = "slack"
STAFF_CARD = "staff_card"
REQUESTER_DM = "requester_dm"
DEFAULT_RETRY_AFTER = 30.0

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


def _error(err: SlackApiError) -> str:
    return str(err.response.get("error") or "")


class SlackNotifier:
    """``core.ports.Notifier`` named "slack" (the outbox consumer name)."""

    name = PLATFORM

    def __init__(self, desk: Desk, client: AsyncWebClient, *, staff_channel: str | None, categories: list[str]) -> None:
        self.desk = desk
        self.client = client
        self.staff_channel = staff_channel
        self.categories = categories

    async def notify(self, event: Event) -> None:
        try:
            await self._deliver(event)
        except SlackApiError as err:
            raise self._failure(err, event) from err

    def _failure(self, err: SlackApiError, event: Event) -> Exception:
        error = _error(err)
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
        ticket = await self.desk.load_ticket(event.ticket_id)
        card, created = await self._ensure_card(ticket)
        if card is not None and created:
            # a new card (first event, or the old one was deleted): bring the conversation into its thread
            for message in await self._thread(ticket):
                if not (isinstance(event, MessageAdded) and message.id == event.message_id):
                    await self._mirror_to_staff(ticket, card, message)
        dm = await self._ensure_dm(ticket) if ticket.requester.platform == PLATFORM else None
        if isinstance(event, MessageAdded):
            await self._message_added(ticket, event, card, dm)
        elif isinstance(event, StatusChanged):
            await self._status_changed(ticket, event, card, dm)
        elif isinstance(event, TicketOpened):
            pass  # the card and the DM above are the whole notification

    # ------------------------------------------------------------------------------------------ card
    async def _ensure_card(self, ticket: Ticket) -> tuple[Link | None, bool]:
        """Post the staff card once, else edit it in place; ``(link, created)``."""
        if not self.staff_channel:
            return None, False
        card = render.ticket_card(ticket, categories=self.categories)
        link = await self.desk.get_link(ticket_id=ticket.id, platform=PLATFORM, kind=STAFF_CARD)
        if link is not None and link.channel_id == self.staff_channel and link.message_id:
            try:
                await self.client.chat_update(
                    channel=link.channel_id, ts=link.message_id, text=card.text, blocks=card.blocks
                )
                return link, False
            except SlackApiError as err:
                if _error(err) not in CARD_GONE:
                    raise
                log.warning("the card of %s is gone; posting a new one", ticket.id, extra={"ticket_id": ticket.id})
        resp = await self.client.chat_postMessage(channel=self.staff_channel, **card.kwargs())
        link = Link(ticket.id, PLATFORM, STAFF_CARD, str(resp["channel"]), thread_id=resp["ts"], message_id=resp["ts"])
        await self.desk.save_link(link)
        return link, True

    async def _thread(self, ticket: Ticket) -> list[Message]:
        return await self.desk.get_thread(ticket_id=ticket.id, actor=Actor.system())

    async def _mirror_to_staff(self, ticket: Ticket, card: Link, message: Message) -> str | None:
        """Post ``message`` into the card's thread unless it was typed there; return its ts there."""
        origin = await self.desk.get_link(ticket_id=ticket.id, platform=PLATFORM, kind=origin_kind(message.id))
        if (
            origin is not None
            and message.author.platform == PLATFORM
            and origin.channel_id == card.channel_id
            and origin.thread_id == card.thread_id
        ):
            return origin.message_id
        kind = f"staff_msg:{message.id}"
        mirrored = await self.desk.get_link(ticket_id=ticket.id, platform=PLATFORM, kind=kind)
        if mirrored is not None and mirrored.thread_id == card.thread_id:
            return mirrored.message_id
        resp = await self.client.chat_postMessage(
            channel=card.channel_id, thread_ts=card.thread_id, **render.thread_message(message).kwargs()
        )
        await self.desk.save_link(Link(ticket.id, PLATFORM, kind, card.channel_id, card.thread_id, resp["ts"]))
        return str(resp["ts"])

    async def _mark(self, card: Link, ts: str | None, name: str) -> None:
        if ts is None:
            return
        try:
            await self.client.reactions_add(channel=card.channel_id, timestamp=ts, name=name)
        except SlackApiError as err:
            if _error(err) not in ("already_reacted", "message_not_found"):
                raise

    # ------------------------------------------------------------------------------------------ DM
    async def _ensure_dm(self, ticket: Ticket) -> Link | None:
        """The requester's DM about this ticket: posted once, then edited in place."""
        card = render.requester_card(ticket)
        link = await self.desk.get_link(ticket_id=ticket.id, platform=PLATFORM, kind=REQUESTER_DM)
        try:
            if link is not None and link.message_id:
                try:
                    await self.client.chat_update(
                        channel=link.channel_id, ts=link.message_id, text=card.text, blocks=card.blocks
                    )
                    return link
                except SlackApiError as err:
                    if _error(err) not in CARD_GONE:
                        raise
            opened = await self.client.conversations_open(users=ticket.requester.user_id)
            channel = str(opened["channel"]["id"])
            resp = await self.client.chat_postMessage(channel=channel, **card.kwargs())
        except SlackApiError as err:
            if _error(err) in DM_IMPOSSIBLE:
                log.warning("cannot DM the requester of %s: %s", ticket.id, _error(err), extra={"ticket_id": ticket.id})
                return None
            raise
        link = Link(ticket.id, PLATFORM, REQUESTER_DM, channel, thread_id=resp["ts"], message_id=resp["ts"])
        await self.desk.save_link(link)
        return link

    async def _post_dm(self, ticket: Ticket, dm: Link, message: Message) -> bool:
        kind = f"dm_msg:{message.id}"
        if await self.desk.get_link(ticket_id=ticket.id, platform=PLATFORM, kind=kind) is not None:
            return True
        resp = await self.client.chat_postMessage(
            channel=dm.channel_id, thread_ts=dm.thread_id, **render.thread_message(message, for_requester=True).kwargs()
        )
        await self.desk.save_link(Link(ticket.id, PLATFORM, kind, dm.channel_id, dm.thread_id, resp["ts"]))
        return True

    # ------------------------------------------------------------------------------------------ events
    async def _message_added(self, ticket: Ticket, event: MessageAdded, card: Link | None, dm: Link | None) -> None:
        message = await self.desk.get_message(event.message_id)
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
            await self._post_dm(ticket, dm, message)
            mark = render.MARK_SENT
        else:
            mark = render.MARK_HANDED_OFF  # the requester's platform notifier delivers it
        if card is not None and message.role is Role.STAFF:
            await self._mark(card, staff_ts, mark)

    async def _status_changed(self, ticket: Ticket, event: StatusChanged, card: Link | None, dm: Link | None) -> None:
        closed_or_reopened = event.new == "Closed" or (event.old == "Closed" and event.new == "Open")
        if card is not None and closed_or_reopened:  # Open ↔ Pending follows the messages; the card shows it
            note = render.status_note(ticket, event.old, event.new, event.actor, for_requester=False)
            await self._post_once(ticket, f"note:{event.event_id}:s", card, note)
        if dm is None or ticket.requester.same_person(event.actor):
            return  # they did it themselves
        if event.new == "Pending" and await self._follows_staff_reply(ticket, event):
            return  # the reply they just received says as much
        note = render.status_note(ticket, event.old, event.new, event.actor, for_requester=True)
        await self._post_once(ticket, f"note:{event.event_id}:r", dm, note)

    async def _post_once(self, ticket: Ticket, kind: str, where: Link, message: render.SlackMessage) -> None:
        """Post into ``where``'s thread unless this event already did (a retry after a later step failed)."""
        if await self.desk.get_link(ticket_id=ticket.id, platform=PLATFORM, kind=kind) is not None:
            return
        resp = await self.client.chat_postMessage(
            channel=where.channel_id, thread_ts=where.thread_id, **message.kwargs()
        )
        await self.desk.save_link(Link(ticket.id, PLATFORM, kind, where.channel_id, where.thread_id, str(resp["ts"])))

    async def _follows_staff_reply(self, ticket: Ticket, event: StatusChanged) -> bool:
        public = [m for m in await self._thread(ticket) if not m.internal]
        last = public[-1] if public else None
        return last is not None and last.role is Role.STAFF and last.author.same_person(event.actor)
