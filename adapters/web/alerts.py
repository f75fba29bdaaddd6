"""Alertmanager (webhook version 4) and Grafana (unified alerting) notifications → ``core.rules.Alert``.

One notification is one alert group: its ``groupKey`` keys the ticket (without one, the alerts'
fingerprints do). It is firing while any of its alerts fires; a notification whose status is ``resolved``
resolves the group. The ticket's subject is the group's summary (or alert name); its text lists each alert
with its labels, description and links.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.model import Actor
from core.rules import Alert, describe_labels

ALERTS_MAX = 1000
SHOWN_MAX = 20  # alerts listed in a ticket's text; the rest are counted


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class NotifiedAlert(_Loose):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    startsAt: str | None = None
    endsAt: str | None = None
    generatorURL: str = ""
    fingerprint: str = ""
    # Grafana only
    dashboardURL: str = ""
    panelURL: str = ""
    silenceURL: str = ""
    valueString: str = ""


class AlertmanagerNotification(_Loose):
    """Prometheus Alertmanager's webhook body (``version: "4"``)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "version": "4",
                    "groupKey": '{}:{alertname="HighLatency"}',
                    "truncatedAlerts": 0,
                    "status": "firing",
                    "receiver": "ticketbot",
                    "groupLabels": {"alertname": "HighLatency"},
                    "commonLabels": {"alertname": "HighLatency", "severity": "critical"},
                    "commonAnnotations": {"summary": "p99 latency over 2 s"},
                    "externalURL": "http://alertmanager:9093",
                    "alerts": [
                        {
                            "status": "firing",
                            "labels": {"alertname": "HighLatency", "instance": "api-1", "severity": "critical"},
                            "annotations": {"description": "p99 is 2.4 s"},
                            "startsAt": "2026-12-01T09:00:00Z",
                            "endsAt": "0001-01-01T00:00:00Z",
                            "generatorURL": "http://prometheus:9090/graph?g0.expr=...",
                            "fingerprint": "c6b1b3d1a0f2e7a4",
                        }
                    ],
                }
            ]
        },
    )

    version: str = "4"
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    alerts: list[NotifiedAlert] = Field(min_length=1, max_length=ALERTS_MAX)


class GrafanaNotification(AlertmanagerNotification):
    """Grafana unified alerting's webhook body: Alertmanager's, plus a title, a state and a message."""

    version: str = "1"
    orgId: int | None = None
    title: str = ""
    state: str = ""
    message: str = ""


def to_alert(n: AlertmanagerNotification) -> Alert:
    firing = n.status == "firing"
    key = n.groupKey or ",".join(sorted(a.fingerprint or describe_labels(a.labels) for a in n.alerts))
    name = n.groupLabels.get("alertname") or n.commonLabels.get("alertname") or ""
    summary = n.commonAnnotations.get("summary") or ""
    title = ": ".join(p for p in (name, summary) if p) or getattr(n, "title", "") or f"Alert for {n.receiver}"
    return Alert(
        key=key,
        firing=firing,
        title=title,
        details=_details(n),
        severities=tuple(a.labels.get("severity", "") for a in n.alerts if a.status == "firing" or not firing),
        count=sum(1 for a in n.alerts if a.status == "firing"),
    )


def _details(n: AlertmanagerNotification) -> str:
    lines = []
    message = getattr(n, "message", "")
    if message and len(n.alerts) > 1:
        lines.append(message.strip())
    for a in n.alerts[:SHOWN_MAX]:
        what = a.annotations.get("description") or a.annotations.get("summary") or a.valueString
        line = f"- {a.status}: {describe_labels(a.labels)}" + (f" — {what}" if what else "")
        links = [u for u in (a.generatorURL, a.dashboardURL, a.panelURL) if u]
        if links:
            line += f" ({' · '.join(links)})"
        lines.append(line)
    hidden = len(n.alerts) - SHOWN_MAX + n.truncatedAlerts
    if hidden > 0:
        lines.append(f"… and {hidden} more alert(s)")
    if n.externalURL:
        lines.append(f"Source: {n.externalURL}")
    return "\n".join(lines)


def alertmanager_source(n: AlertmanagerNotification) -> Actor:
    receiver = n.receiver or "alertmanager"
    return Actor("alertmanager", receiver[:64], f"Alertmanager ({receiver})"[:120])


def grafana_source(n: GrafanaNotification) -> Actor:
    org = str(n.orgId) if n.orgId is not None else "grafana"
    return Actor("grafana", org[:64], f"Grafana ({n.receiver or 'org ' + org})"[:120])
