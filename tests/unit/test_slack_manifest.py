"""manifest.yml installs what the code needs: the command, the shortcut, the events and the scopes."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from adapters.slack import render
from adapters.web.app import SLACK_EVENTS_PATH

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "manifest.yml"
ADAPTER = ROOT / "adapters" / "slack"

# the scope each Web API method needs (bot token); a method missing here fails the test on purpose
METHOD_SCOPES = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "reactions.add": "reactions:write",
    "users.info": "users:read",
    "usergroups.users.list": "usergroups:read",
    "conversations.open": "im:write",
    "conversations.replies": "channels:history",
    "chat.getPermalink": None,
    "files.upload.v2": "files:write",  # files.getUploadURLExternal + files.completeUploadExternal (the digest)
    "conversations.info": "channels:read",
    "auth.test": None,
    "views.open": None,
    "views.publish": None,
}


def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def test_manifest_declares_the_command_shortcut_and_home():
    m = manifest()
    [command] = m["features"]["slash_commands"]
    assert command["command"] == "/ticket" and command["should_escape"] is True  # mentions arrive as <@U…|name>
    [shortcut] = m["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", render.CB_SHORTCUT)
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert isinstance(m["settings"]["socket_mode_enabled"], bool)
    assert 175 <= len(m["display_information"]["long_description"]) <= 4000  # Slack's bounds
    assert len(m["display_information"]["description"]) <= 140


def test_manifest_subscribes_to_every_event_the_app_listens_to():
    events = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    source = (ADAPTER / "app.py").read_text()
    listened = set(re.findall(r'app\.event\("(\w+)"\)', source))
    assert listened == {"message", "reaction_added", "app_home_opened"}
    assert {"app_home_opened", "reaction_added", "message.channels", "message.groups", "message.im"} <= events


def test_manifest_grants_a_scope_for_every_web_api_method_the_adapter_calls():
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    called = set()
    for path in ADAPTER.glob("*.py"):
        for name in re.findall(r"client\.([a-z]+_[A-Za-z0-9_]+)\(", path.read_text()):
            group, _, rest = name.partition("_")
            called.add(f"{group}.{rest.replace('_', '.')}")
    assert {"chat.postMessage", "chat.update", "views.open", "reactions.add", "files.upload.v2"} <= called
    unknown = called - set(METHOD_SCOPES)
    assert not unknown, f"add the scope of {unknown} to METHOD_SCOPES and manifest.yml"
    needed = {METHOD_SCOPES[m] for m in called} - {None}
    assert needed <= scopes, f"missing scopes: {needed - scopes}"
    assert {"commands", "im:history", "groups:history", "reactions:read", "users:read.email"} <= scopes


def test_http_mode_urls_point_at_the_mounted_path():
    text = MANIFEST.read_text()
    urls = re.findall(r"#\s*(?:request_)?url: (\S+)", text)
    assert len(urls) == 3 and all(u.endswith(SLACK_EVENTS_PATH) for u in urls)


def test_the_start_up_checks_require_exactly_the_manifests_scopes():
    from adapters.slack.checks import REQUIRED_SCOPES

    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == set(REQUIRED_SCOPES)
