"""HTTP entry points: the FastAPI app (health, Slack events; the REST API later) and its uvicorn server.

Import ``adapters.web.app`` / ``adapters.web.server``; this ``__init__`` imports nothing, so reading
``adapters.web.settings`` never loads FastAPI.
"""
