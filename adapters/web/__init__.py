"""HTTP entry points: the FastAPI app (the REST API, signed webhooks, Slack events, health, readiness, metrics)
and its uvicorn server.

Import ``adapters.web.app`` / ``adapters.web.server``; this ``__init__`` imports nothing, so reading
``adapters.web.settings`` never loads FastAPI.
"""
