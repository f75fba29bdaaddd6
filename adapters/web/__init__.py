"""HTTP entry points: the FastAPI app (health, Slack events; the REST API later) and its uvicorn server."""

from adapters.web.app import build_web_app
from adapters.web.server import WebServer

__all__ = ["WebServer", "build_web_app"]
