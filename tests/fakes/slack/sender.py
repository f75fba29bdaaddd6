"""Sends requests to an app the way Slack does: signed (v0 HMAC-SHA256, real timestamp), form or JSON."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack import payloads
from tests.fakes.slack.identity import SIGNING_SECRET
from tests.fakes.slack.server import FakeSlack


@dataclass
class Reply:
    """The app's HTTP answer to one request."""

    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SlackSender:
    """Posts signed requests to ``url`` (the app's ``/slack/events``). Use as ``async with``."""

    def __init__(self, url: str, fake: FakeSlack, *, signing_secret: str = SIGNING_SECRET) -> None:
        self.url = url
        self.fake = fake
        self.verifier = SignatureVerifier(signing_secret)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SlackSender:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def sign(self, body: str, timestamp: str | None = None) -> dict[str, str]:
        timestamp = timestamp or str(int(time.time()))
        return {
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=timestamp, body=body),
        }

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        signature: str | None = None,
        timestamp: str | None = None,
    ) -> Reply:
        """POST ``body`` signed; ``signature``/``timestamp`` override the real ones (to test rejection)."""
        if self._session is None:
            raise RuntimeError("use SlackSender as `async with`")
        signed = self.sign(body, timestamp)
        if signature is not None:
            signed["X-Slack-Signature"] = signature
        all_headers = {"Content-Type": content_type, **signed, **(headers or {})}
        async with self._session.post(self.url, data=body.encode(), headers=all_headers) as resp:
            return Reply(resp.status, await resp.read(), dict(resp.headers))

    # -------------------------------------------------------------- what Slack sends
    async def command(self, text: str = "", **kwargs: Any) -> Reply:
        """``/ticket <text>`` typed by ``user_id`` in ``channel_id`` (see ``payloads.slash_command``)."""
        return await self.send_command(payloads.slash_command(self.fake, text, **kwargs))

    async def send_command(self, form: dict[str, str], **post_kwargs: Any) -> Reply:
        return await self.post(urlencode(form), "application/x-www-form-urlencoded", **post_kwargs)

    async def interaction(self, payload: dict[str, Any], **post_kwargs: Any) -> Reply:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **post_kwargs)

    async def event(
        self,
        event: dict[str, Any] | None = None,
        *,
        envelope: dict[str, Any] | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> Reply:
        """Deliver an Events API callback; ``retry_num`` adds ``X-Slack-Retry-Num`` like a redelivery."""
        if envelope is None:
            assert event is not None
            envelope = payloads.event_callback(event, event_id=event_id)
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self.post(json.dumps(envelope), "application/json", headers=headers)
