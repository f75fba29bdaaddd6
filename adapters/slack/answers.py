"""How a listener's work after its ack ends: privately, for the person who acted, and never as a traceback.

No listener lets an exception escape: the desk's refusals (``TicketError``) are shown as they are, in a short
ephemeral message; anything else is logged with the ticket id and answered with an apology.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from adapters.slack.home import HomeTab
from adapters.slack.transport import AckFirst
from core.errors import NotPermitted, TicketError

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on our side; the team has been told. Please try again."

Tell = Callable[[render.SlackMessage], Awaitable[None]]


class Answers:
    """Shared by every listener: runs work after the ack (behind ``acks``) and answers the user privately."""

    def __init__(self, acks: AckFirst, home: HomeTab) -> None:
        self.acks = acks
        self.home = home

    async def guarded(self, work: Coroutine[Any, Any, None], tell: Tell | None, ticket_id: str | None = None) -> None:
        """Run listener work after the ack: user errors → ``tell``; anything else → log + apology."""
        try:
            await self.acks.after_acks()
            await work
        except TicketError as err:
            if tell is not None:
                await tell(refusal_of(err))
        except SlackApiError as err:
            log.error(
                "Slack API error in a listener (ticket %s): %s",
                ticket_id or "-",
                err.response.get("error"),
                extra={"ticket_id": ticket_id},
            )
            if tell is not None:
                await tell(render.error_message(APOLOGY))
        except Exception:
            log.exception("listener failed (ticket %s)", ticket_id or "-", extra={"ticket_id": ticket_id})
            if tell is not None:
                await tell(render.error_message(APOLOGY))

    def teller(self, body: dict[str, Any], client: AsyncWebClient, respond: Any) -> Tell:
        """Where to answer the user privately: the response_url, the App Home, an ephemeral, or a DM."""
        user_id = str((body.get("user") or {}).get("id") or body.get("user_id") or "")
        channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
        from_home = ((body.get("view") or {}).get("type")) == "home"

        async def tell(message: render.SlackMessage) -> None:
            try:
                if from_home:
                    await self.home.publish(client, user_id, notice=message.blocks)
                elif respond is not None and body.get("response_url"):
                    await respond(response_type="ephemeral", replace_original=False, **message.kwargs())
                elif channel:
                    await client.chat_postEphemeral(
                        channel=channel, user=user_id, text=message.text, blocks=message.blocks
                    )
                else:
                    await client.chat_postMessage(channel=user_id, **message.kwargs())
            except SlackApiError as err:
                log.warning("could not answer %s: %s", user_id, err.response.get("error"))

        return tell


def refusal_of(err: TicketError) -> render.SlackMessage:
    """How the desk's refusal reads: ``NotPermitted`` as a refusal, any other user error as a warning."""
    return render.refusal(str(err)) if isinstance(err, NotPermitted) else render.error_message(str(err))
