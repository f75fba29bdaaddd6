"""What users do, as the fake plays them: slash commands, autocomplete, modals, clicks, messages.

Each driver sends the INTERACTION_CREATE / MESSAGE_CREATE the real Discord client would cause and returns
a handle the test awaits. Mixed into ``FakeDiscord`` (server.py).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable
from typing import Any

from . import limits
from .interaction import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    RESPONSE_WINDOW,
    FakeInteraction,
)
from .state import (
    MANAGE_THREADS,
    FakeAttachment,
    FakeChannel,
    FakeMessage,
    FakeUser,
)


class UserDrivers:
    """Drivers; they refuse (AssertionError) what the Discord client itself would not let a user do."""

    # attributes provided by FakeDiscord
    ids: Any
    guild: Any
    bot_user: FakeUser
    application_id: int
    commands: dict[int | None, list[dict[str, Any]]]
    interactions: dict[int, FakeInteraction]
    messages: dict[int, FakeMessage]
    base_url: str
    ready_sessions: list[Any]
    violations: list[str]
    _timers: list[asyncio.TimerHandle]

    # ---------------------------------------------------------------- drivers (what users do)
    def _interaction_payload(self, ix: FakeInteraction) -> dict[str, Any]:
        member = self.guild.members[ix.user.id]
        payload: dict[str, Any] = {
            "id": str(ix.id),
            "application_id": str(self.application_id),
            "type": ix.type,
            "data": ix.data,
            "guild_id": str(self.guild.id),
            "guild": {"id": str(self.guild.id), "locale": "en-US", "features": []},
            "channel_id": str(ix.channel.id),
            "channel": ix.channel.payload(),
            "member": member.payload(permissions=self._channel_permissions(ix.user, ix.channel)),
            "token": ix.token,
            "version": 1,
            "app_permissions": str(self._channel_permissions(self.bot_user, ix.channel)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if ix.message is not None:
            payload["message"] = ix.message.payload()
        return payload

    def _channel_permissions(self, user: FakeUser, channel: FakeChannel) -> int:
        return self.guild.permissions_in(user.id, channel)

    async def _send_interaction(
        self,
        itype: int,
        user: FakeUser,
        channel: FakeChannel,
        data: dict[str, Any],
        message: FakeMessage | None = None,
    ) -> FakeInteraction:
        if not self.ready_sessions:
            raise AssertionError("no bot is connected to the fake gateway")
        ix = FakeInteraction(
            self,
            id=self.ids.next(),
            token=f"ix-{secrets.token_urlsafe(24)}",
            type=itype,
            user=user,
            channel=channel,
            data=data,
            message=message,
        )
        self.interactions[ix.id] = ix
        ix.payload = self._interaction_payload(ix)  # type: ignore[attr-defined]
        await self.dispatch("INTERACTION_CREATE", ix.payload)  # type: ignore[attr-defined]
        loop = asyncio.get_running_loop()
        self._timers.append(loop.call_later(RESPONSE_WINDOW + 0.05, self._check_answered, ix))
        return ix

    def _check_answered(self, ix: FakeInteraction) -> None:
        if ix.response_type is None:
            ix.expired = True
            if ix.expect_response:
                self.violations.append(f"{ix!r}: no initial response within {RESPONSE_WINDOW:.0f} s (code 10062)")
            self._bump()

    async def redeliver(self, ix: FakeInteraction) -> None:
        """Send the same INTERACTION_CREATE again (a duplicate delivery: same id and token)."""
        await self.dispatch("INTERACTION_CREATE", ix.payload)  # type: ignore[attr-defined]

    def _find_command(self, path: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
        """Resolve "ticket close" against the synced commands → (top command, option chain, leaf)."""
        names = path.split()
        commands = self.commands.get(self.guild.id, []) + self.commands.get(None, [])
        top = next((c for c in commands if c["name"] == names[0] and c.get("type", 1) == 1), None)
        if top is None:
            raise AssertionError(f"/{names[0]} is not a synced command (synced: {[c['name'] for c in commands]})")
        chain: list[dict[str, Any]] = []
        leaf = top
        for name in names[1:]:
            sub = next((o for o in leaf.get("options", []) if o["name"] == name and o["type"] in (1, 2)), None)
            if sub is None:
                raise AssertionError(f"/{path}: no subcommand {name!r} in {leaf['name']!r}")
            chain.append(sub)
            leaf = sub
        return top, chain, leaf

    def _option_values(
        self, leaf: dict[str, Any], values: dict[str, Any], focused: str | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        definitions = {o["name"]: o for o in leaf.get("options", []) if o["type"] not in (1, 2)}
        unknown = set(values) - set(definitions)
        if unknown:
            raise AssertionError(f"unknown options {sorted(unknown)}; {leaf['name']!r} has {sorted(definitions)}")
        options: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        for name, spec in definitions.items():
            if name not in values:
                if spec.get("required") and focused is None:
                    raise AssertionError(f"option {name!r} is required")
                continue
            value = values[name]
            otype = spec["type"]
            if name == focused:
                options.append({"name": name, "type": otype, "value": str(value), "focused": True})
                continue
            if otype == 6:  # USER
                user = value
                member = self.guild.members[user.id]
                resolved.setdefault("users", {})[str(user.id)] = user.payload()
                resolved.setdefault("members", {})[str(user.id)] = {
                    **member.payload(with_user=False),
                    "permissions": str(self.guild.permissions_of(user.id)),
                }
                value = str(user.id)
            elif otype == 4:
                value = int(value)
            elif otype == 10:
                value = float(value)
            elif otype == 5:
                value = bool(value)
            else:
                value = str(value)
                limits.check(len(value) <= spec.get("max_length", 6000), f"option {name!r} too long")
            choices = spec.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise AssertionError(f"{value!r} is not a choice of {name!r}: {[c['value'] for c in choices]}")
            options.append({"name": name, "type": otype, "value": value})
        return options, resolved

    def _command_data(self, path: str, values: dict[str, Any], focused: str | None = None) -> dict[str, Any]:
        top, chain, leaf = self._find_command(path)
        options, resolved = self._option_values(leaf, values, focused)
        for sub in reversed(chain):
            options = [{"name": sub["name"], "type": sub["type"], "options": options}]
        data: dict[str, Any] = {"id": top["id"], "name": top["name"], "type": 1, "options": options}
        if "guild_id" in top:
            data["guild_id"] = top["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(
        self, user: FakeUser, command: str, *, channel: FakeChannel | None = None, **options: Any
    ) -> FakeInteraction:
        """The user runs ``/command`` (e.g. ``"ticket close"``) with options, in ``channel`` (default #general)."""
        data = self._command_data(command, options)
        return await self._send_interaction(APPLICATION_COMMAND, user, channel or self.general, data)

    async def autocomplete(
        self,
        user: FakeUser,
        command: str,
        focused: str,
        value: str = "",
        *,
        channel: FakeChannel | None = None,
        **options: Any,
    ) -> list[dict[str, Any]]:
        """The user types ``value`` into option ``focused``; return the choices the bot offers."""
        data = self._command_data(command, {**options, focused: value}, focused=focused)
        ix = await self._send_interaction(AUTOCOMPLETE, user, channel or self.general, data)
        await ix.response()
        return ix.choices

    async def submit_modal(
        self, ix: FakeInteraction, values: dict[str, Any], *, user: FakeUser | None = None
    ) -> FakeInteraction:
        """Submit the modal the bot opened in answer to ``ix``; ``values`` maps input custom_id → text/option values."""
        await ix.response()
        modal = ix.modal
        remaining = dict(values)

        def submitted(comp: dict[str, Any]) -> dict[str, Any]:
            cid = comp["custom_id"]
            if comp["type"] == 4:
                text = str(remaining.pop(cid, comp.get("value") or ""))
                if comp.get("required", True) and not text:
                    raise AssertionError(f"modal input {cid!r} is required")
                if text and not comp.get("min_length", 0) <= len(text) <= comp.get("max_length", 4000):
                    raise AssertionError(f"modal input {cid!r}: length {len(text)} out of range")
                return {"type": 4, "id": comp.get("id", 0), "custom_id": cid, "value": text}
            if comp["type"] == 3:
                chosen = remaining.pop(cid, [o["value"] for o in comp.get("options", []) if o.get("default")])
                chosen = [chosen] if isinstance(chosen, str) else list(chosen)
                options = [o["value"] for o in comp.get("options", [])]
                if any(v not in options for v in chosen):
                    raise AssertionError(f"modal select {cid!r}: {chosen} not in {options}")
                low = comp.get("min_values", 1) if comp.get("required", True) else 0
                if not low <= len(chosen) <= comp.get("max_values", 1):
                    raise AssertionError(f"modal select {cid!r}: {len(chosen)} values chosen")
                return {"type": 3, "id": comp.get("id", 0), "custom_id": cid, "values": chosen}
            raise AssertionError(f"the fake cannot fill a modal component of type {comp['type']}")

        components = []
        for comp in modal["components"]:
            if comp["type"] == 18:
                components.append({"type": 18, "id": comp.get("id", 0), "component": submitted(comp["component"])})
            elif comp["type"] == 1:
                components.append({"type": 1, "components": [submitted(c) for c in comp["components"]]})
        if remaining:
            raise AssertionError(f"the modal has no inputs {sorted(remaining)}")
        data = {"custom_id": modal["custom_id"], "components": components}
        return await self._send_interaction(MODAL_SUBMIT, user or ix.user, ix.channel, data, message=ix.message)

    async def click(
        self, user: FakeUser, message: FakeMessage, custom_id: str, *, values: list[str] | None = None
    ) -> FakeInteraction:
        """The user clicks a button (or picks ``values`` in a select) on ``message``."""
        current = self.messages.get(message.id, message)
        comp = current.component(custom_id)
        if comp is None:
            raise AssertionError(f"message {message.id} has no component {custom_id!r}: {current.custom_ids()}")
        if comp.get("disabled"):
            raise AssertionError(f"component {custom_id!r} is disabled")
        channel = self.guild.channels.get(current.channel_id)
        if channel is None:
            raise AssertionError("clicks in DMs are not modelled")
        if not self.guild.can_view(user.id, channel):
            raise AssertionError(f"{user.username} cannot see #{channel.name}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": comp["type"]}
        if comp["type"] == 3:
            options = [o["value"] for o in comp.get("options", [])]
            chosen = list(values or [])
            if any(v not in options for v in chosen) or not chosen:
                raise AssertionError(f"select {custom_id!r}: {chosen} not in {options}")
            data["values"] = chosen
        return await self._send_interaction(MESSAGE_COMPONENT, user, channel, data, message=current)

    async def send_message(
        self,
        user: FakeUser,
        channel: FakeChannel,
        content: str = "",
        *,
        attachments: Iterable[tuple[str, bytes, str]] = (),
    ) -> FakeMessage:
        """The user posts in a channel or thread (attachments: (filename, bytes, content type))."""
        if not self.guild.can_view(user.id, channel):
            raise AssertionError(f"{user.username} cannot see #{channel.name}")
        if channel.is_thread and channel.locked and not self.guild.permissions_in(user.id, channel) & MANAGE_THREADS:
            raise AssertionError(f"{user.username} cannot post in locked thread {channel.name!r}")
        if channel.is_thread and channel.archived:
            channel.archived = False
            await self.dispatch("THREAD_UPDATE", channel.payload())
        files = []
        for filename, data, ctype in attachments:
            att_id = self.ids.next()
            files.append(
                FakeAttachment(
                    att_id, filename, len(data), ctype, f"{self.base_url}/attachments/{att_id}/{filename}", data
                )
            )
        message = self._new_message(channel, user, {"content": content}, files)
        self._append(channel, message)
        await self._dispatch_message("MESSAGE_CREATE", message)
        await self._add_mentioned_to_thread(channel, message)
        self._bump()
        return message
