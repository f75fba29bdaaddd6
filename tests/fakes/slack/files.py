"""File uploads the way Slack wants them now (what ``AsyncWebClient.files_upload_v2`` does):

1. ``files.getUploadURLExternal(filename, length)`` → ``{"upload_url", "file_id"}`` (the URL is on the fake);
2. POST the bytes to ``upload_url`` (raw body, or multipart with one file part) → 200 ``OK - <length>``;
3. ``files.completeUploadExternal(files=[{id, title}], channel_id | channels, initial_comment, thread_ts)``
   → the file is shared into the channel (or thread) as a bot message carrying ``files``.

A file that is completed twice, never uploaded, or uploaded with a length other than the declared one is
refused (the last also lands in ``fake.problems``). ``url_private`` serves the bytes to the bot token with
``files:read``, and — like Slack — a 200 HTML login page to anyone else. Mixed into ``FakeSlack``.
"""

from __future__ import annotations

import itertools
import mimetypes
import time
from pathlib import PurePosixPath
from typing import Any

from aiohttp import web

from tests.fakes.slack.channels import SlackChannel
from tests.fakes.slack.errors import SlackError
from tests.fakes.slack.identity import BOT_ID, BOT_USER_ID, TEAM_DOMAIN

_file_ids = itertools.count(1)
_LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"


class FileMethods:
    """``files.*`` methods, the upload URL and the download URL."""

    # provided by FakeSlack
    bot_token: str
    scopes: set[str]
    problems: list[str]
    base_url: str

    def next_ts(self) -> str: ...
    def _store(self, channel: str, message: dict[str, Any]) -> None: ...
    def _channel(self, args: dict[str, Any], key: str = "channel") -> str: ...
    def _member_of(self, channel_id: str, *, posting: bool = False) -> SlackChannel: ...

    def __init__(self) -> None:
        self.files: dict[str, dict[str, Any]] = {}  # file id → Slack's file object
        self._file_data: dict[str, bytes] = {}
        self._pending: set[str] = set()  # ids issued by getUploadURLExternal, not completed yet

    # ------------------------------------------------------------------ test-facing
    def file_bytes(self, file_id: str) -> bytes:
        """The bytes uploaded for ``file_id`` (KeyError if none were)."""
        return self._file_data[file_id]

    def shared_files(self, channel: str) -> list[dict[str, Any]]:
        """File objects shared into ``channel`` by ``files.completeUploadExternal``, in order."""
        return [f for f in self.files.values() if channel in _share_channels(f)]

    # ------------------------------------------------------------------ Web API methods
    def _m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        try:
            length = int(args.get("length") or 0)
        except ValueError:
            length = 0
        if not filename or length <= 0:
            raise SlackError("invalid_arguments")
        file_id = f"F{next(_file_ids):010d}"
        now = int(time.time())
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        filetype = PurePosixPath(filename).suffix.lstrip(".").lower() or "binary"
        self.files[file_id] = {
            "id": file_id,
            "created": now,
            "timestamp": now,
            "name": filename,
            "title": filename,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": "",
            "user_team": "",
            "editable": False,
            "size": length,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{self.base_url}/files/{file_id}/{filename}",
            "url_private_download": f"{self.base_url}/files/{file_id}/{filename}?download=1",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{file_id}/{filename}",
            "alt_txt": args.get("alt_txt"),
            "channels": [],
            "groups": [],
            "ims": [],
            "shares": {},
            "file_access": "visible",
        }
        self._pending.add(file_id)
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = args.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        ids = [str(e.get("id", "")) for e in entries]
        if any(i not in self._pending or i not in self._file_data for i in ids):
            raise SlackError("file_not_found")
        targets = self._share_targets(args)
        for target in targets:
            self._member_of(target, posting=True)
        for entry in entries:
            if entry.get("title"):
                self.files[entry["id"]]["title"] = str(entry["title"])
        shared = [self.files[i] for i in ids]
        for target in targets:
            self._share(target, shared, args)
        self._pending.difference_update(ids)
        return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}

    def _share_targets(self, args: dict[str, Any]) -> list[str]:
        if args.get("channel_id"):
            return [self._channel(args, "channel_id")]
        channels = [c for c in str(args.get("channels") or "").split(",") if c]
        return [self._channel({"channel": c}) for c in channels]

    def _share(self, channel: str, files: list[dict[str, Any]], args: dict[str, Any]) -> None:
        kind = self._member_of(channel, posting=True).kind
        ts = self.next_ts()
        thread_ts = args.get("thread_ts") or None
        for f in files:
            f["user"] = f.get("user") or BOT_USER_ID
            f["is_public"] = f["is_public"] or kind == "public"
            bucket = {"public": "channels", "private": "groups"}.get(kind, "ims")
            f[bucket].append(channel)
            share = {"ts": ts, "channel_name": channel.lower(), "reply_count": 0}
            if thread_ts:
                share["thread_ts"] = thread_ts
            f["shares"].setdefault("public" if kind == "public" else "private", {}).setdefault(channel, []).append(
                share
            )
        message: dict[str, Any] = {
            "type": "message",
            "text": str(args.get("initial_comment") or ""),
            "files": [dict(f) for f in files],
            "upload": True,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "display_as_bot": False,
            "ts": ts,
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
        self._store(channel, message)

    # ------------------------------------------------------------------ upload and download URLs
    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self._pending:
            return web.Response(status=404, text="upload url not found")
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            part = await reader.next()
            data = bytes(await part.read()) if part is not None else b""  # type: ignore[union-attr]
        else:
            data = await request.read()
        declared = self.files[file_id]["size"]
        if len(data) != declared:
            self.problems.append(f"upload of {file_id}: {len(data)} bytes, but getUploadURLExternal said {declared}")
            return web.Response(status=400, text="length mismatch")
        self._file_data[file_id] = data
        return web.Response(text=f"OK - {len(data)}")

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token != self.bot_token or "files:read" not in self.scopes:
            return web.Response(body=_LOGIN_PAGE, content_type="text/html")
        if file_id not in self._file_data:
            return web.Response(status=404, text="file not found")
        return web.Response(body=self._file_data[file_id], content_type=self.files[file_id]["mimetype"])


def _share_channels(file: dict[str, Any]) -> list[str]:
    return [*file["channels"], *file["groups"], *file["ims"]]
