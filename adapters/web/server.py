"""Run an ASGI app with uvicorn inside our own event loop (start/stop), next to the other tasks.

The process's bootstrap owns signals and logging: this server installs no signal handlers and leaves
the logging configuration alone. ``port=0`` binds a free port (tests); ``port`` tells the bound one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator

import uvicorn


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The bootstrap handles SIGINT/SIGTERM and calls WebServer.stop().
        yield


class WebServer:
    """``await WebServer(app, host, port).start()`` … ``await server.stop()``."""

    def __init__(self, app: object, *, host: str = "127.0.0.1", port: int = 8080, graceful_timeout: int = 5) -> None:
        config = uvicorn.Config(
            app,  # type: ignore[arg-type]
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=graceful_timeout,
            server_header=False,
        )
        self._server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> WebServer:
        """Bind and serve in a background task; return once the socket accepts connections."""
        self._task = asyncio.create_task(self._server.serve(), name="ticketbot-web")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises the bind error
                raise RuntimeError("the web server stopped during startup")
            await asyncio.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        return int(self._server.servers[0].sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        host = self._server.config.host
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        """Stop accepting, finish in-flight requests (up to the graceful timeout), return."""
        if self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._task = None
