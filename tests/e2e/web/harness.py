"""The web server as ``ticketbot run`` composes it (``bot.bootstrap.web_services`` + ``build_web_app`` on
uvicorn), around the test's desk, and a small HTTP client that signs webhooks like a sender would."""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.web.app import build_web_app
from adapters.web.auth import sign
from adapters.web.server import WebServer
from bot.bootstrap import Runtime, web_services
from bot.settings import Settings
from core.desk import Desk

TOKEN = "test-token-1"
OTHER_TOKEN = "test-token-2"
SECRET = "webhook-secret"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def error(self) -> dict[str, str]:
        assert isinstance(self.body, dict) and set(self.body) == {"error"}, self.body
        assert set(self.body["error"]) == {"code", "message"}, self.body
        return dict(self.body["error"])


@dataclass
class Web:
    runtime: Runtime
    server: WebServer
    session: aiohttp.ClientSession
    sent: int = 0
    first_stamp: int = 0

    @property
    def desk(self) -> Desk:
        return self.runtime.desk

    @property
    def url(self) -> str:
        return self.server.url

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = TOKEN,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        params: Any = None,
    ) -> Reply:
        sent = dict(headers or {})
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        async with self.session.request(method, self.url + path, data=data, headers=sent, params=params) as resp:
            raw = await resp.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return Reply(resp.status, parsed, {k.lower(): v for k, v in resp.headers.items()})

    async def hook(
        self,
        kind: str,
        payload: Any,
        *,
        secret: str = SECRET,
        at: float | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
        signature: str | None = None,
    ) -> Reply:
        """POST a webhook signed as the README says (``at``: the timestamp to sign with). By default each
        delivery is signed at a different second of the last few minutes, as deliveries spread over time are:
        two identical bodies signed at the same second are one delivery replayed."""
        body = raw if raw is not None else json.dumps(payload).encode()
        self.sent += 1
        # counted back from one instant fixed at the first delivery: two deliveries never share a second, even
        # when the clock ticks between them (counting back from "now" each time could land on the same second)
        self.first_stamp = self.first_stamp or int(time.time())
        stamp = int(self.first_stamp - self.sent % 240 if at is None else at)
        headers = {
            "Content-Type": content_type,
            "X-Ticketbot-Timestamp": str(stamp),
            "X-Ticketbot-Signature": signature or sign(secret, stamp, body),
        }
        return await self.call("POST", f"/hooks/{kind}", token=None, headers=headers, data=body)

    async def count(self) -> int:
        return int(
            await self.desk.db.read(lambda uow: uow.conn.exec_driver_sql("SELECT count(*) FROM tickets").scalar())
        )

    async def close(self) -> None:
        await self.session.close()
        await self.server.stop()


async def start_web(desk: Desk, settings: Settings) -> Web:
    """A runtime around ``desk`` with ``settings``, and its web server on a free port."""
    desk = dataclasses.replace(desk, categories=tuple(settings.categories), consumers=[], on_commit=[])
    runtime = Runtime(settings=settings, db=desk.db, desk=desk)  # type: ignore[arg-type]
    server = await WebServer(build_web_app(services=web_services(runtime)), port=0).start()
    return Web(runtime, server, aiohttp.ClientSession())


def alertmanager(
    group: str = "HighLatency",
    *,
    status: str = "firing",
    alerts: int = 1,
    severity: str = "critical",
    instance: str = "api-1",
) -> dict[str, Any]:
    """A real-format Alertmanager webhook (version 4) for one group."""
    items = [
        {
            "status": status,
            "labels": {"alertname": group, "instance": f"{instance}-{i}", "severity": severity, "job": "api"},
            "annotations": {"summary": f"{group} on the API", "description": f"p99 is {2 + i / 10:.1f} s"},
            "startsAt": "2026-11-26T11:55:00.000Z",
            "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-26T12:05:00.000Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=histogram_quantile",
            "fingerprint": f"{abs(hash((group, i))):016x}"[:16],
        }
        for i in range(alerts)
    ]
    return {
        "receiver": "ticketbot",
        "status": status,
        "alerts": items,
        "groupLabels": {"alertname": group},
        "commonLabels": {"alertname": group, "job": "api", "severity": severity},
        "commonAnnotations": {"summary": f"{group} on the API"},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": f'{{}}/{{severity="{severity}"}}:{{alertname="{group}"}}',
        "truncatedAlerts": 0,
    }


def grafana(title: str = "DiskFull", *, status: str = "firing") -> dict[str, Any]:
    """A real-format Grafana unified-alerting webhook."""
    body = alertmanager(title, status=status, severity="warning")
    body.update(
        version="1",
        orgId=1,
        title=f"[{status.upper()}:1] {title} (disk)",
        state="alerting" if status == "firing" else "ok",
        message=f"**{status.title()}**\n\nValue: B=97",
        groupKey=f'{{}}/{{}}:{{alertname="{title}", grafana_folder="infra"}}',
    )
    for a in body["alerts"]:
        a.update(
            values={"B": 97.0},
            valueString="[ var='B' labels={} value=97 ]",
            dashboardURL="http://grafana:3000/d/abc",
            panelURL="http://grafana:3000/d/abc?viewPanel=2",
            silenceURL="http://grafana:3000/alerting/silence/new",
            imageURL="",
        )
    return body
