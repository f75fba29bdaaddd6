"""/healthz, /readyz and /metrics as an operator (and Prometheus) sees them."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from core.health import Link
from core.model import Actor
from tests.e2e.web.harness import Web, alertmanager

OPERATOR = Actor("cli", "operator", is_staff=True)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_ready_only_when_the_database_is_migrated_and_every_adapter_is_connected(web: Web) -> None:
    assert (await web.call("GET", "/healthz", token=None)).body == {"status": "ok"}
    ready = await web.call("GET", "/readyz", token=None)
    assert ready.status == 200 and ready.body == {"status": "ready", "problems": []}
    board = web.runtime.board
    board.expect("discord")
    starting = await web.call("GET", "/readyz", token=None)
    assert starting.status == 503 and starting.body["problems"] == ["discord starting"]
    board.report("discord", Link.CONNECTED)
    assert (await web.call("GET", "/readyz", token=None)).status == 200
    board.report("discord", Link.UNAUTHORIZED, "token refused (4004)")
    refused = await web.call("GET", "/readyz", token=None)
    assert refused.status == 503 and refused.body["problems"] == ["discord unauthorized (token refused (4004))"]
    board.report("discord", Link.CONNECTED)

    head = await web.desk.db.read(
        lambda uow: uow.conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    )

    try:  # (PostgreSQL tests share one schema: the head is always put back)
        await web.desk.db.write(lambda uow: uow.conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0005'"))
        stale = await web.call("GET", "/readyz", token=None)
        assert stale.status == 503 and "run `ticketbot migrate`" in stale.body["problems"][0]
    finally:
        await web.desk.db.write(
            lambda uow: uow.conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{head}'")
        )


async def test_metrics_count_tickets_closings_sla_adapters_and_requests(web: Web) -> None:
    web.runtime.board.expect("slack")
    web.runtime.board.report("slack", Link.CONNECTED)
    made = [
        await web.call("POST", "/api/v1/tickets", {"subject": "s", "requester": {"id": "u1"}, "priority": "high"})
        for _ in range(2)
    ]
    await web.hook("alertmanager", alertmanager())
    ticket = made[0].body["ticket"]["id"]
    await web.call("POST", f"/api/v1/tickets/{ticket}/close")
    await web.call("POST", f"/api/v1/tickets/{ticket}/reopen")
    await web.call("POST", f"/api/v1/tickets/{ticket}/close")
    reply = await web.call("GET", "/metrics", token=None)
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/plain")
    found = samples(reply.body if isinstance(reply.body, str) else str(reply.body))
    assert found[("ticketbot_tickets", (("priority", "high"), ("status", "open")))] == 1
    assert found[("ticketbot_tickets", (("priority", "high"), ("status", "closed")))] == 1
    assert found[("ticketbot_tickets", (("priority", "urgent"), ("status", "open")))] == 1  # the alert
    assert found[("ticketbot_tickets_created_total", ())] == 3
    assert found[("ticketbot_tickets_closed_total", ())] == 2
    assert found[("ticketbot_sla_breached_tickets", ())] == 0
    assert found[("ticketbot_adapter_up", (("adapter", "slack"),))] == 1
    assert found[("ticketbot_adapter_state", (("adapter", "slack"), ("state", "connected")))] == 1
    route = (("method", "POST"), ("route", "/api/v1/tickets"), ("status", "201"))
    assert found[("ticketbot_http_request_duration_seconds_count", route)] == 2
    assert ("ticketbot_outbox_pending", (("consumer", "slack"),)) not in found  # no consumer configured here
