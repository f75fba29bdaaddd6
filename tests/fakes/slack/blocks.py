"""Block Kit validation as Slack's servers do it (the subset ticketbot uses), for the fake and unit tests.

``validate_surface(kind, blocks)`` returns a list of problems (empty = valid). The fake Slack answers
``invalid_blocks`` / ``invalid_arguments`` when it is not empty, exactly where Slack would refuse the call.
Limits from the Block Kit reference: a message holds at most 50 blocks, a modal or App Home 100; a section's
text 3000 characters, a header's 150, a button's text 75 …
"""

from __future__ import annotations

from typing import Any

SURFACE_MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
MESSAGE_TEXT_MAX = 40_000
_BLOCK_ID_MAX = 255
_ACTION_ID_MAX = 255


class _Problems(list[str]):
    def need(self, ok: bool, where: str, what: str) -> None:
        if not ok:
            self.append(f"{where}: {what}")


def _text(p: _Problems, obj: Any, where: str, *, max_len: int, plain_only: bool = False) -> None:
    if not isinstance(obj, dict):
        p.append(f"{where}: must be a text object")
        return
    kind = obj.get("type")
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    p.need(kind in allowed, where, f"type must be one of {allowed}, got {kind!r}")
    text = obj.get("text")
    p.need(isinstance(text, str), where, "text must be a string")
    if isinstance(text, str):
        p.need(1 <= len(text) <= max_len, where, f"text length {len(text)} not in 1..{max_len}")
    extra = set(obj) - {"type", "text", "emoji", "verbatim"}
    p.need(not extra, where, f"unknown text fields {sorted(extra)}")


def _option(p: _Problems, opt: Any, where: str) -> None:
    if not isinstance(opt, dict):
        p.append(f"{where}: option must be an object")
        return
    _text(p, opt.get("text"), f"{where}.text", max_len=75, plain_only=True)
    value = opt.get("value")
    p.need(isinstance(value, str) and 1 <= len(value) <= 150, where, "option value must be 1..150 characters")


def _element(p: _Problems, el: Any, where: str, *, in_input: bool = False) -> None:
    if not isinstance(el, dict):
        p.append(f"{where}: element must be an object")
        return
    kind = el.get("type")
    action_id = el.get("action_id")
    if action_id is not None:
        p.need(isinstance(action_id, str) and 1 <= len(action_id) <= _ACTION_ID_MAX, where, "bad action_id")
    if kind == "button":
        _text(p, el.get("text"), f"{where}.text", max_len=75, plain_only=True)
        if "value" in el:
            value = el["value"]
            p.need(isinstance(value, str) and 1 <= len(value) <= 2000, where, "button value 1..2000")
        if "style" in el:
            p.need(el["style"] in ("primary", "danger"), where, "button style must be primary or danger")
        if "url" in el:
            p.need(isinstance(el["url"], str) and len(el["url"]) <= 3000, where, "button url too long")
    elif kind in ("static_select", "multi_static_select"):
        options = el.get("options")
        groups = el.get("option_groups")
        p.need((options is None) != (groups is None), where, "exactly one of options/option_groups")
        if options is not None:
            p.need(isinstance(options, list) and 1 <= len(options) <= 100, where, "options must be 1..100")
            for i, opt in enumerate(options or []):
                _option(p, opt, f"{where}.options[{i}]")
            values = [o.get("value") for o in options or [] if isinstance(o, dict)]
            p.need(len(values) == len(set(values)), where, "option values must be unique")
        if "placeholder" in el:
            _text(p, el["placeholder"], f"{where}.placeholder", max_len=150, plain_only=True)
        if "initial_option" in el:
            _option(p, el["initial_option"], f"{where}.initial_option")
            if options is not None:
                p.need(el["initial_option"] in options, where, "initial_option must be one of the options")
    elif kind == "plain_text_input":
        p.need(in_input, where, "plain_text_input only inside an input block")
        if "placeholder" in el:
            _text(p, el["placeholder"], f"{where}.placeholder", max_len=150, plain_only=True)
        if "initial_value" in el:
            p.need(isinstance(el["initial_value"], str), where, "initial_value must be a string")
        max_length = el.get("max_length")
        if max_length is not None:
            p.need(isinstance(max_length, int) and 1 <= max_length <= 3000, where, "max_length 1..3000")
            if isinstance(el.get("initial_value"), str) and isinstance(max_length, int):
                p.need(len(el["initial_value"]) <= max_length, where, "initial_value longer than max_length")
        min_length = el.get("min_length")
        if min_length is not None:
            p.need(isinstance(min_length, int) and 0 <= min_length <= 3000, where, "min_length 0..3000")
    elif kind == "file_input":
        p.need(in_input, where, "file_input only inside an input block")
        max_files = el.get("max_files", 10)
        p.need(isinstance(max_files, int) and 1 <= max_files <= 10, where, "max_files 1..10")
    elif kind == "overflow":
        options = el.get("options")
        p.need(isinstance(options, list) and 1 <= len(options) <= 5, where, "overflow options 1..5")
        for i, opt in enumerate(options or []):
            _option(p, opt, f"{where}.options[{i}]")
    else:
        p.append(f"{where}: unsupported element type {kind!r}")


def _block(p: _Problems, block: Any, where: str, surface: str) -> None:
    if not isinstance(block, dict):
        p.append(f"{where}: block must be an object")
        return
    kind = block.get("type")
    block_id = block.get("block_id")
    if block_id is not None:
        p.need(isinstance(block_id, str) and 1 <= len(block_id) <= _BLOCK_ID_MAX, where, "bad block_id")
    if kind == "section":
        has_text = "text" in block
        has_fields = "fields" in block
        p.need(has_text or has_fields, where, "section needs text or fields")
        if has_text:
            _text(p, block["text"], f"{where}.text", max_len=3000)
        if has_fields:
            fields = block["fields"]
            p.need(isinstance(fields, list) and 1 <= len(fields) <= 10, where, "fields must be 1..10")
            for i, f in enumerate(fields if isinstance(fields, list) else []):
                _text(p, f, f"{where}.fields[{i}]", max_len=2000)
        if "accessory" in block:
            _element(p, block["accessory"], f"{where}.accessory")
    elif kind == "header":
        _text(p, block.get("text"), f"{where}.text", max_len=150, plain_only=True)
    elif kind == "divider":
        pass
    elif kind == "context":
        elements = block.get("elements")
        p.need(isinstance(elements, list) and 1 <= len(elements) <= 10, where, "context elements 1..10")
        for i, el in enumerate(elements if isinstance(elements, list) else []):
            _text(p, el, f"{where}.elements[{i}]", max_len=3000)
    elif kind == "actions":
        elements = block.get("elements")
        p.need(isinstance(elements, list) and 1 <= len(elements) <= 25, where, "actions elements 1..25")
        ids = []
        for i, el in enumerate(elements if isinstance(elements, list) else []):
            _element(p, el, f"{where}.elements[{i}]")
            if isinstance(el, dict) and el.get("action_id"):
                ids.append(el["action_id"])
        p.need(len(ids) == len(set(ids)), where, "action_ids must be unique within a block")
    elif kind == "input":
        p.need(surface == "modal", where, "input blocks only in modals")
        _text(p, block.get("label"), f"{where}.label", max_len=2000, plain_only=True)
        _element(p, block.get("element"), f"{where}.element", in_input=True)
        if "hint" in block:
            _text(p, block["hint"], f"{where}.hint", max_len=2000, plain_only=True)
        if "optional" in block:
            p.need(isinstance(block["optional"], bool), where, "optional must be a boolean")
    else:
        p.append(f"{where}: unsupported block type {kind!r}")


def validate_blocks(blocks: Any, surface: str = "message") -> list[str]:
    """Problems with ``blocks`` on ``surface`` ("message", "modal" or "home"); empty when valid."""
    p = _Problems()
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    limit = SURFACE_MAX_BLOCKS[surface]
    p.need(len(blocks) <= limit, "blocks", f"{len(blocks)} blocks; at most {limit} on a {surface}")
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        _block(p, block, f"blocks[{i}]", surface)
        if isinstance(block, dict) and isinstance(block.get("block_id"), str):
            p.need(block["block_id"] not in seen, f"blocks[{i}]", "duplicate block_id")
            seen.add(block["block_id"])
    return list(p)


def validate_view(view: Any) -> list[str]:
    """Problems with a ``views.open/update/publish`` view; empty when valid."""
    if not isinstance(view, dict):
        return ["view must be an object"]
    p = _Problems()
    kind = view.get("type")
    p.need(kind in ("modal", "home"), "view", f"type must be modal or home, got {kind!r}")
    if kind == "modal":
        _text(p, view.get("title"), "view.title", max_len=24, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                _text(p, view[key], f"view.{key}", max_len=24, plain_only=True)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        p.need(not has_input or "submit" in view, "view", "a modal with inputs needs a submit button")
    metadata = view.get("private_metadata")
    if metadata is not None:
        p.need(isinstance(metadata, str) and len(metadata) <= 3000, "view", "private_metadata ≤ 3000")
    callback_id = view.get("callback_id")
    if callback_id is not None:
        p.need(isinstance(callback_id, str) and len(callback_id) <= 255, "view", "callback_id ≤ 255")
    p.extend(validate_blocks(view.get("blocks"), "modal" if kind == "modal" else "home"))
    return list(p)


def validate_errors_response(errors: Any, view: dict[str, Any]) -> list[str]:
    """Problems with a ``response_action: errors`` map for ``view`` (keys must be input block_ids)."""
    if not isinstance(errors, dict) or not errors:
        return ["errors must be a non-empty object"]
    inputs = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    return [f"errors: {key!r} is not an input block_id" for key in errors if key not in inputs]
