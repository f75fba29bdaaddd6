"""Property tests of the whole HTTP surface against its own ``/openapi.json`` (schemathesis): whatever the
generated requests, no 5xx, and every answer fits the documented status codes, content types and schemas.

The server runs as ``ticketbot run`` builds it (``open_runtime`` + ``web_services``), in a thread with its own
event loop, because schemathesis calls it synchronously. Examples are bounded so the test fits CI.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from adapters.web.app import build_web_app
from adapters.web.server import WebServer
from bot.bootstrap import open_runtime, web_services
from bot.settings import Settings
from tests.e2e.web.harness import SECRET, TOKEN

EXAMPLES = 12  # per operation
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


class ServerThread:
    """ticketbot's web server in a thread with its own event loop (stopped and joined by ``stop``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = ""
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            runtime = await open_runtime(self.settings)
            server = await WebServer(build_web_app(services=web_services(runtime)), port=0).start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            raise
        self.url = server.url
        self._ready.set()
        await self._stop.wait()
        await server.stop()
        await runtime.close()

    def start(self) -> ServerThread:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture
def server(sqlite_template: Path, tmp_path: Path) -> Iterator[ServerThread]:
    path = tmp_path / "ticketbot.db"
    shutil.copyfile(sqlite_template, path)
    values: dict[str, Any] = {"api_tokens": [TOKEN], "webhook_secret": SECRET, "http": {"port": 0}}
    running = ServerThread(Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{path}", **values)).start()  # type: ignore[call-arg]
    try:
        yield running
    finally:
        running.stop()


def test_the_openapi_document_describes_every_route_with_examples(server: ServerThread) -> None:
    document = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    paths = document["paths"]
    expected = {"/api/v1/tickets", "/api/v1/tickets/{ticket_id}", "/api/v1/search", "/api/v1/stats", "/healthz",
                "/hooks/ticket", "/hooks/alertmanager", "/hooks/grafana", "/readyz", "/metrics"}  # fmt: skip
    assert expected <= set(paths)
    schemas = document["components"]["schemas"]
    for name in ("TicketCreate", "TicketOut", "AlertmanagerNotification", "GenericHook"):
        assert schemas[name].get("examples"), name
    assert "bearer" in str(document["components"]["securitySchemes"]).lower()
    assert "401" in paths["/api/v1/tickets"]["get"]["responses"]


def test_no_generated_request_gets_a_5xx_or_an_answer_outside_the_schema(server: ServerThread) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    session = requests.Session()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    seen = []
    for result in schema.get_all_operations():
        operation = result.ok()
        seen.append(f"{operation.method.upper()} {operation.path}")

        @settings(
            max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(base_url=server.url, session=session, headers=auth, timeout=10)
            case.validate_response(response, checks=CHECKS)

        check()
    assert len(seen) >= 18, seen
