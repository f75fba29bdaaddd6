"""Signed webhooks over real HTTP: Alertmanager (v4) and Grafana payloads in their real shapes, the generic hook,
and every way a delivery can be refused (nothing is created then)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from core.model import Priority, Role, Status
from tests.e2e.web.harness import SECRET, Web, alertmanager, grafana


async def ticket_of(web: Web, reply: Any) -> Any:
    assert reply.status == 200, reply.body
    [result] = reply.body["results"]
    return result["action"], (await web.desk.queries.ticket(result["ticket_id"]) if result["ticket_id"] else None)


async def test_an_alert_group_is_one_ticket_until_it_resolves(web: Web) -> None:
    action, ticket = await ticket_of(web, await web.hook("alertmanager", alertmanager("HighLatency", alerts=2)))
    assert action == "opened" and ticket.priority is Priority.URGENT  # severity critical
    assert ticket.subject == "HighLatency: HighLatency on the API"
    assert ticket.requester.platform == "alertmanager" and ticket.requester.user_id == "ticketbot"
    [description] = await web.desk.queries.thread(ticket.id, include_internal=True)
    assert "instance=api-1-0" in description.body and "http://prometheus:9090/graph" in description.body

    again, same = await ticket_of(web, await web.hook("alertmanager", alertmanager("HighLatency", alerts=3)))
    assert (again, same.id) == ("updated", ticket.id) and same.status is Status.OPEN
    thread = await web.desk.queries.thread(ticket.id, include_internal=True)
    assert thread[-1].role is Role.SYSTEM and thread[-1].body.startswith("3 alerts firing: HighLatency")

    other, second = await ticket_of(web, await web.hook("alertmanager", alertmanager("DiskFull", severity="warning")))
    assert other == "opened" and second.id != ticket.id and second.priority is Priority.MEDIUM

    resolved, noted = await ticket_of(
        web, await web.hook("alertmanager", alertmanager("HighLatency", status="resolved"))
    )
    assert (resolved, noted.id, noted.status) == ("resolved", ticket.id, Status.OPEN)  # CLOSE_ON_RESOLVE is off
    last = (await web.desk.queries.thread(ticket.id, include_internal=True))[-1]
    assert last.internal and last.body.startswith("Resolved: HighLatency")
    assert await web.count() == 2


@pytest.mark.parametrize("web_overrides", [{"alerts": {"close_on_resolve": True}}], indirect=True)
async def test_with_close_on_resolve_a_resolved_group_closes_and_the_next_firing_opens_anew(web: Web) -> None:
    _, ticket = await ticket_of(web, await web.hook("alertmanager", alertmanager()))
    action, closed = await ticket_of(web, await web.hook("alertmanager", alertmanager(status="resolved")))
    assert (action, closed.id, closed.status, closed.close_reason) == (
        "closed",
        ticket.id,
        Status.CLOSED,
        "the alert resolved",
    )
    ignored = await web.hook("alertmanager", alertmanager(status="resolved"))
    assert ignored.body["results"] == [{"action": "ignored", "ticket_id": None}]
    action, fresh = await ticket_of(web, await web.hook("alertmanager", alertmanager()))
    assert action == "opened" and fresh.id != ticket.id


@pytest.mark.parametrize("web_overrides", [{"alerts": {"priority_map": "critical:high,warning:urgent"}}], indirect=True)
async def test_severity_maps_to_priority_as_configured(web: Web) -> None:
    _, warning = await ticket_of(web, await web.hook("alertmanager", alertmanager("A", severity="warning")))
    _, unknown = await ticket_of(web, await web.hook("alertmanager", alertmanager("B", severity="page-me")))
    assert (warning.priority, unknown.priority) == (Priority.URGENT, Priority.MEDIUM)


async def test_grafana_payloads_and_its_own_signature_work_too(web: Web) -> None:
    action, ticket = await ticket_of(web, await web.hook("grafana", grafana("DiskFull")))
    assert action == "opened" and ticket.requester.platform == "grafana" and ticket.priority is Priority.MEDIUM
    body = json.dumps(grafana("DiskFull")).encode()
    stamp = str(int(time.time()))  # Grafana's native form: bare hex of HMAC("{timestamp}:{body}")
    native = hmac.new(SECRET.encode(), f"{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    reply = await web.call("POST", "/hooks/grafana", token=None, data=body, headers={
        "Content-Type": "application/json", "X-Ticketbot-Timestamp": stamp, "X-Ticketbot-Signature": native,
    })  # fmt: skip
    assert (await ticket_of(web, reply))[0] == "updated"
    native_on_alertmanager = await web.call("POST", "/hooks/alertmanager", token=None, data=body, headers={
        "Content-Type": "application/json", "X-Ticketbot-Timestamp": stamp, "X-Ticketbot-Signature": native,
    })  # fmt: skip
    assert native_on_alertmanager.status == 401


async def test_the_generic_hook_opens_tickets_and_groups_by_fingerprint(web: Web) -> None:
    payload = {"subject": "Nightly backup failed", "message": "exit 2", "priority": "high", "category": "technical",
               "requester": {"id": "ops", "name": "Ops"}}  # fmt: skip
    action, ticket = await ticket_of(web, await web.hook("ticket", payload))
    assert (action, ticket.priority, ticket.requester.user_id, ticket.requester.platform) == (
        "opened", Priority.HIGH, "ops", "api",
    )  # fmt: skip
    for _ in range(2):
        action, grouped = await ticket_of(
            web, await web.hook("ticket", {"subject": "Disk 91%", "fingerprint": "disk-7"})
        )
    assert action == "updated" and await web.count() == 2
    invalid = await web.hook("ticket", {"subject": "x", "priority": "soon"})
    assert invalid.status == 422 and "priority" in invalid.error["message"]


async def test_refused_deliveries_change_nothing(web: Web) -> None:
    good = alertmanager()
    refusals = {
        "bad signature": await web.hook("alertmanager", good, secret="not-the-secret"),
        "stale timestamp": await web.hook("alertmanager", good, at=time.time() - 301),
        "future timestamp": await web.hook("alertmanager", good, at=time.time() + 301),
        "malformed JSON": await web.hook("alertmanager", None, raw=b'{"version": "4", '),
        "not an alert": await web.hook("alertmanager", {"hello": "world"}),
        "other version": await web.hook("alertmanager", {**good, "version": "3"}),
        "wrong content type": await web.hook("alertmanager", good, content_type="text/plain"),
        "2 MiB body": await web.hook("alertmanager", None, raw=b'{"pad": "' + b"x" * (2 << 20) + b'"}'),
        "unsigned": await web.call("POST", "/hooks/alertmanager", good, token=None),
        "sha1 signature": await web.hook("alertmanager", good, signature="sha1=" + "0" * 40),
    }
    expected = {"bad signature": 401, "stale timestamp": 401, "future timestamp": 401, "malformed JSON": 400,
                "not an alert": 422, "other version": 422, "wrong content type": 415, "2 MiB body": 413,
                "unsigned": 401, "sha1 signature": 401}  # fmt: skip
    assert {k: r.status for k, r in refusals.items()} == expected
    for reply in refusals.values():
        assert reply.error["message"]
    assert await web.count() == 0


async def test_a_replayed_delivery_is_refused(web: Web) -> None:
    body = json.dumps(alertmanager()).encode()
    stamp = int(time.time())
    first = await web.hook("alertmanager", None, raw=body, at=stamp)
    replay = await web.hook("alertmanager", None, raw=body, at=stamp)
    assert first.status == 200 and replay.status == 401 and replay.error["code"] == "replayed"
    assert await web.count() == 1
    thread = await web.desk.queries.thread(first.body["results"][0]["ticket_id"], include_internal=True)
    assert len(thread) == 1  # the replay added nothing


@pytest.mark.parametrize("web_overrides", [{"webhook_secret": None}], indirect=True)
async def test_without_a_secret_the_webhooks_are_off(web: Web) -> None:
    reply = await web.hook("alertmanager", alertmanager())
    assert reply.status == 404 and await web.count() == 0


async def test_an_alert_storm_of_ten_groups_makes_ten_tickets(web: Web) -> None:
    """200 firing deliveries (20 per group) at once; the bench sends 1,000."""
    groups = [f"Storm{g}" for g in range(10)]
    replies = await asyncio.gather(*(web.hook("alertmanager", alertmanager(groups[i % 10], instance=f"n{i}"))
                                     for i in range(200)))  # fmt: skip
    assert {r.status for r in replies} == {200}
    actions = [r.body["results"][0]["action"] for r in replies]
    assert actions.count("opened") == 10 and actions.count("updated") == 190
    assert await web.count() == 10
    by_group = {r.body["results"][0]["ticket_id"] for r in replies}
    assert len(by_group) == 10
