"""Uploads the modern way (files.getUploadURLExternal → upload URL → files.completeUploadExternal) on the fake
Slack, through slack_sdk's ``files_upload_v2``."""

from __future__ import annotations

import struct
import zlib

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import BOT_TOKEN, BOT_USER_ID, FakeSlack

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def tiny_png() -> bytes:
    """A valid 1×1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")


@pytest.fixture
def client(fake_slack: FakeSlack) -> AsyncWebClient:
    fake_slack.scopes.add("files:write")  # not in manifest.yml yet: an app that uploads must add it
    return AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)


async def test_files_upload_v2_shares_a_png_into_the_channel_and_keeps_its_bytes(
    fake_slack: FakeSlack, client: AsyncWebClient
):
    png = tiny_png()
    result = await client.files_upload_v2(
        channel="C0DIGEST", file=png, filename="digest.png", title="Tickets this week", initial_comment="Daily digest"
    )
    file_id = result["file"]["id"]

    assert fake_slack.file_bytes(file_id) == png and fake_slack.file_bytes(file_id).startswith(PNG_SIGNATURE)
    message = fake_slack.messages("C0DIGEST")[-1]
    assert message["text"] == "Daily digest" and message["user"] == BOT_USER_ID
    assert [f["id"] for f in message["files"]] == [file_id]
    shared = fake_slack.shared_files("C0DIGEST")
    assert [(f["title"], f["name"], f["mimetype"], f["size"]) for f in shared] == [
        ("Tickets this week", "digest.png", "image/png", len(png))
    ]
    steps = [c.method for c in fake_slack.calls]
    assert steps == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    assert fake_slack.posts("C0DIGEST") == []  # a file share is not a chat.postMessage


async def test_an_upload_can_land_in_a_thread(fake_slack: FakeSlack, client: AsyncWebClient):
    parent = (await client.chat_postMessage(channel="C1", text="ticket card"))["ts"]
    result = await client.files_upload_v2(channel="C1", content="transcript", filename="t.txt", thread_ts=parent)
    replies = fake_slack.messages("C1", thread_ts=parent)
    assert [m.get("files", [{}])[0].get("id") for m in replies[1:]] == [result["file"]["id"]]
    assert fake_slack.file_bytes(result["file"]["id"]) == b"transcript"
    assert fake_slack.message("C1", parent)["reply_count"] == 1


async def test_uploading_needs_files_write_and_a_channel_the_bot_is_in(fake_slack: FakeSlack, client: AsyncWebClient):
    fake_slack.scopes.discard("files:write")
    with pytest.raises(SlackApiError) as err:
        await client.files_upload_v2(channel="C1", content="x", filename="x.txt")
    assert err.value.response["error"] == "missing_scope" and err.value.response["needed"] == "files:write"

    fake_slack.scopes.add("files:write")
    fake_slack.add_channel("C0OUT", "elsewhere", is_member=False)
    with pytest.raises(SlackApiError) as err:
        await client.files_upload_v2(channel="C0OUT", content="x", filename="x.txt")
    assert err.value.response["error"] == "not_in_channel"
    assert fake_slack.messages("C0OUT") == []


async def test_completing_an_upload_twice_or_before_uploading_is_refused(fake_slack: FakeSlack, client: AsyncWebClient):
    ticket = await client.files_getUploadURLExternal(filename="a.txt", length=3)
    with pytest.raises(SlackApiError) as err:  # nothing was uploaded yet
        await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="C1")
    assert err.value.response["error"] == "file_not_found"
    async with aiohttp.ClientSession() as session:
        async with session.post(ticket["upload_url"], data=b"abc") as resp:
            assert resp.status == 200
    await client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "A"}], channel_id="C1")
    with pytest.raises(SlackApiError) as err:
        await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id="C1")
    assert err.value.response["error"] == "file_not_found"
    assert len(fake_slack.messages("C1")) == 1


async def test_private_file_urls_serve_the_bot_token_and_a_login_page_to_anyone_else(
    fake_slack: FakeSlack, client: AsyncWebClient
):
    result = await client.files_upload_v2(channel="C1", file=tiny_png(), filename="chart.png")
    url = fake_slack.shared_files("C1")[0]["url_private"]
    assert result["file"]["id"] in url
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"Authorization": f"Bearer {BOT_TOKEN}"}) as resp:
            assert resp.content_type == "image/png" and (await resp.read()).startswith(PNG_SIGNATURE)
        async with session.get(url) as resp:  # Slack answers 200 with an HTML page, not 401
            assert resp.status == 200 and resp.content_type == "text/html"
        fake_slack.scopes.discard("files:read")
        async with session.get(url, headers={"Authorization": f"Bearer {BOT_TOKEN}"}) as resp:
            assert resp.content_type == "text/html"
