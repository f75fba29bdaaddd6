"""Signed webhooks: ``/hooks/ticket`` (generic), ``/hooks/alertmanager`` (version 4), ``/hooks/grafana``.

Order of work, so a forged or replayed delivery costs nothing and changes nothing: the raw body is read (the
size guard caps it), the signature and timestamp checked (401), the signature recorded once (a replay is
401), and only then is the JSON parsed (400 malformed, 422 invalid) and handed to ``core.rules``. A delivery
that fails on our side forgets its signature, so the sender's retry of it is let through.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.web import schemas as s
from adapters.web.alerts import (
    AlertmanagerNotification,
    GrafanaNotification,
    alertmanager_source,
    grafana_source,
    to_alert,
)
from adapters.web.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from adapters.web.errors import ApiError, describe_validation
from core.commands import OpenTicket
from core.model import Actor
from core.rules import AutoTickets, Outcome

M = TypeVar("M", bound=BaseModel)
WEBHOOK_SOURCE = Actor("webhook", "webhook", "Webhook")


class GenericHook(s.Body):
    """Open a ticket. With a ``fingerprint``, deliveries sharing it add to its open ticket instead."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "Nightly backup failed",
                    "message": "backup-07 exited with code 2",
                    "priority": "High",
                    "category": "Technical",
                    "requester": {"platform": "api", "id": "ops", "name": "Ops"},
                    "fingerprint": "backup-07",
                }
            ]
        },
    )

    subject: str = Field(min_length=1, max_length=150)
    message: s.Text = ""
    priority: s.PriorityName | None = None
    category: str | None = Field(None, max_length=50)
    requester: s.Person | None = None
    fingerprint: str | None = Field(None, min_length=1, max_length=200)


Timestamp = Annotated[str | None, Header(alias=TIMESTAMP_HEADER, description="Unix seconds")]
Signature = Annotated[
    str | None, Header(alias=SIGNATURE_HEADER, description='sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">')
]
HOOK_BODIES: dict[str, type[BaseModel]] = {
    "ticket": GenericHook, "alertmanager": AlertmanagerNotification, "grafana": GrafanaNotification,
}  # fmt: skip
"""Bodies the OpenAPI document must describe although no route parses them (see ``app.openapi_with``)."""

_hook_errors = {status: {"model": s.ErrorOut, "description": what} for status, what in {
    400: "Malformed JSON",
    401: "Unsigned, badly signed, older than 5 minutes, or seen before",
    409: "The desk refused (e.g. the requester's open-ticket limit)",
    413: "Body over 1 MiB",
    415: "Body not JSON",
    422: "Valid JSON that is not this kind of notification",
}.items()}  # fmt: skip


def build_hooks(auto: AutoTickets, secret: str, *, clock: Callable[[], float] = time.time) -> APIRouter:
    router = APIRouter(prefix="/hooks", tags=["webhooks"], responses=_hook_errors)  # type: ignore[arg-type]

    async def accept(
        request: Request,
        timestamp: str | None,
        signature: str | None,
        model: type[M],
        act: Callable[[M], Awaitable[list[Outcome]]],
        *,
        grafana: bool = False,
    ) -> s.HookOut:
        body = await request.body()
        seen = verify(secret, timestamp, signature, body, clock(), grafana=grafana)
        if not await auto.first_delivery(seen):
            raise ApiError(401, "replayed", "this signed delivery was received before; sign each delivery anew")
        try:
            payload = _parse(body, model)
            outcomes = await act(payload)
        except BaseException:
            await auto.forget_delivery(seen)
            raise
        return s.HookOut(
            results=[s.HookResult(action=o.action, ticket_id=o.ticket.id if o.ticket else None) for o in outcomes]
        )

    body_of = {  # the request bodies, for the OpenAPI document (the routes read raw bytes to check signatures)
        name: {"requestBody": {"required": True, "content": {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{model.__name__}"}}}}}
        for name, model in HOOK_BODIES.items()
    }  # fmt: skip

    @router.post("/ticket", summary="Open a ticket (generic, signed)", openapi_extra=body_of["ticket"])
    async def generic(request: Request, timestamp: Timestamp = None, signature: Signature = None) -> s.HookOut:
        async def act(hook: GenericHook) -> list[Outcome]:
            requester = hook.requester.actor(is_staff=False) if hook.requester else None
            command = OpenTicket(hook.subject, hook.message, hook.category, hook.priority, requester=requester)
            return [await auto.from_webhook(command, WEBHOOK_SOURCE, fingerprint=hook.fingerprint)]

        return await accept(request, timestamp, signature, GenericHook, act)

    @router.post("/alertmanager", summary="Prometheus Alertmanager (webhook version 4)",
                 openapi_extra=body_of["alertmanager"])  # fmt: skip
    async def alertmanager(request: Request, timestamp: Timestamp = None, signature: Signature = None) -> s.HookOut:
        async def act(n: AlertmanagerNotification) -> list[Outcome]:
            if n.version != "4":
                raise ApiError(422, "unsupported_version", f"Alertmanager webhook version {n.version[:10]!r}; "
                               "ticketbot reads version 4")  # fmt: skip
            return [await auto.from_alert(to_alert(n), alertmanager_source(n))]

        return await accept(request, timestamp, signature, AlertmanagerNotification, act)

    @router.post("/grafana", summary="Grafana unified alerting", openapi_extra=body_of["grafana"])
    async def grafana(request: Request, timestamp: Timestamp = None, signature: Signature = None) -> s.HookOut:
        async def act(n: GrafanaNotification) -> list[Outcome]:
            return [await auto.from_alert(to_alert(n), grafana_source(n))]

        return await accept(request, timestamp, signature, GrafanaNotification, act, grafana=True)

    return router


def _parse(body: bytes, model: type[M]) -> M:
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "malformed_json", "the body is not valid JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "validation_error", describe_validation(exc.errors())) from None
