"""Discord's validation rules the fake enforces, answering like Discord: 400 with code 50035.

Only the limits a ticket bot can hit are modelled: message/embed sizes, component shapes, modal shape,
autocomplete choices and application command definitions.
"""

from __future__ import annotations

import re
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
CUSTOM_ID_MAX = 100
MODAL_TITLE_MAX = 45
COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


class ApiError(Exception):
    """An error answer: HTTP status, Discord JSON error code and message."""

    def __init__(self, status: int, code: int, message: str, **extra: Any) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "code": self.code, **self.extra}


def invalid(reason: str) -> ApiError:
    return ApiError(400, 50035, f"Invalid Form Body ({reason})", errors={"_errors": [{"message": reason}]})


def _len(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def check(condition: bool, reason: str) -> None:
    if not condition:
        raise invalid(reason)


def validate_embed(embed: dict[str, Any]) -> int:
    """Check one embed; return its character count (Discord's 6,000 total rule)."""
    title, desc = embed.get("title"), embed.get("description")
    check(_len(title) <= EMBED_TITLE_MAX, f"embed title is {_len(title)} > {EMBED_TITLE_MAX}")
    check(_len(desc) <= EMBED_DESCRIPTION_MAX, f"embed description is {_len(desc)} > {EMBED_DESCRIPTION_MAX}")
    fields = embed.get("fields") or []
    check(len(fields) <= EMBED_FIELDS_MAX, f"embed has {len(fields)} fields > {EMBED_FIELDS_MAX}")
    total = _len(title) + _len(desc)
    for fld in fields:
        name, value = fld.get("name"), fld.get("value")
        check(1 <= _len(name) <= EMBED_FIELD_NAME_MAX, f"embed field name length {_len(name)}")
        check(1 <= _len(value) <= EMBED_FIELD_VALUE_MAX, f"embed field value length {_len(value)}")
        total += _len(name) + _len(value)
    footer = (embed.get("footer") or {}).get("text")
    check(_len(footer) <= EMBED_FOOTER_MAX, f"embed footer is {_len(footer)} > {EMBED_FOOTER_MAX}")
    author = (embed.get("author") or {}).get("name")
    check(_len(author) <= EMBED_AUTHOR_MAX, f"embed author is {_len(author)} > {EMBED_AUTHOR_MAX}")
    return total + _len(footer) + _len(author)


def validate_message(payload: dict[str, Any], *, has_files: bool = False, edit: bool = False) -> None:
    content = payload.get("content")
    check(_len(content) <= CONTENT_MAX, f"content is {_len(content)} characters > {CONTENT_MAX}")
    embeds = payload.get("embeds") or []
    check(len(embeds) <= EMBEDS_MAX, f"{len(embeds)} embeds > {EMBEDS_MAX}")
    total = sum(validate_embed(e) for e in embeds)
    check(total <= EMBED_TOTAL_MAX, f"embeds total {total} characters > {EMBED_TOTAL_MAX}")
    components = payload.get("components") or []
    validate_components(components)
    if not edit and not (content or embeds or has_files or components or payload.get("sticker_ids")):
        raise ApiError(400, 50006, "Cannot send an empty message")


def validate_components(components: list[dict[str, Any]]) -> None:
    check(len(components) <= 5, f"{len(components)} action rows > 5")
    seen: set[str] = set()
    for row in components:
        check(row.get("type") == 1, f"top-level component of type {row.get('type')} (needs the v2 flag)")
        children = row.get("components") or []
        check(1 <= len(children) <= 5, f"action row with {len(children)} components")
        selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
        check(not selects or len(children) == 1, "a select must be alone in its action row")
        for comp in children:
            ctype = comp.get("type")
            if ctype == 2:
                label = comp.get("label")
                check(_len(label) <= 80, f"button label length {_len(label)} > 80")
                check(label or comp.get("emoji"), "button without label or emoji")
                if comp.get("style") == 5:
                    check(bool(comp.get("url")), "link button without url")
                    continue
            elif ctype == 3:
                options = comp.get("options") or []
                check(1 <= len(options) <= 25, f"select with {len(options)} options")
                for opt in options:
                    check(1 <= _len(opt.get("label")) <= 100, "select option label length")
                    check(1 <= _len(opt.get("value")) <= 100, "select option value length")
                    check(_len(opt.get("description")) <= 100, "select option description length")
                check(_len(comp.get("placeholder")) <= 150, "select placeholder length")
            elif ctype not in (5, 6, 7, 8):
                raise invalid(f"unknown component type {ctype} in an action row")
            custom_id = comp.get("custom_id")
            check(1 <= _len(custom_id) <= CUSTOM_ID_MAX, f"custom_id {custom_id!r} must be 1-100 characters")
            check(custom_id not in seen, f"duplicate custom_id {custom_id!r}")
            seen.add(custom_id)


def validate_modal(data: dict[str, Any]) -> None:
    custom_id, title = data.get("custom_id"), data.get("title")
    check(1 <= _len(custom_id) <= CUSTOM_ID_MAX, "modal custom_id must be 1-100 characters")
    check(1 <= _len(title) <= MODAL_TITLE_MAX, f"modal title is {_len(title)} characters (1-45)")
    components = data.get("components") or []
    check(1 <= len(components) <= 5, f"modal has {len(components)} components (1-5)")
    for comp in components:
        ctype = comp.get("type")
        if ctype == 18:  # Label
            check(1 <= _len(comp.get("label")) <= 45, f"label text length {_len(comp.get('label'))} (1-45)")
            check(_len(comp.get("description")) <= 100, "label description length")
            inner = comp.get("component") or {}
            check(inner.get("type") in (3, 4, 5, 6, 7, 8, 19), f"label wraps type {inner.get('type')}")
            _validate_modal_input(inner, labelled=True)
        elif ctype == 1:
            children = comp.get("components") or []
            check(len(children) == 1 and children[0].get("type") == 4, "modal action row needs one text input")
            _validate_modal_input(children[0], labelled=False)
        elif ctype != 10:  # text display
            raise invalid(f"component type {ctype} is not allowed in a modal")


def _validate_modal_input(comp: dict[str, Any], *, labelled: bool) -> None:
    check(1 <= _len(comp.get("custom_id")) <= CUSTOM_ID_MAX, "modal input custom_id length")
    if comp.get("type") == 4:
        if labelled:
            check(comp.get("label") is None, "a text input inside a label must not have its own label")
        else:
            check(1 <= _len(comp.get("label")) <= 45, "text input label length (1-45)")
        check(comp.get("style") in (1, 2), "text input style must be 1 or 2")
        max_length = comp.get("max_length", 4000)
        check(1 <= max_length <= 4000, "text input max_length (1-4000)")
        check(_len(comp.get("value")) <= max_length, "text input value longer than max_length")
        check(_len(comp.get("placeholder")) <= 100, "text input placeholder length")
    elif comp.get("type") == 3:
        options = comp.get("options") or []
        check(1 <= len(options) <= 25, f"select with {len(options)} options")


def validate_choices(choices: list[dict[str, Any]]) -> None:
    check(len(choices) <= 25, f"{len(choices)} autocomplete choices > 25")
    for choice in choices:
        check(1 <= _len(choice.get("name")) <= 100, f"choice name {choice.get('name')!r} (1-100)")
        value = choice.get("value")
        if isinstance(value, str):
            check(1 <= len(value) <= 100, f"choice value {value!r} (1-100)")


def validate_command(cmd: dict[str, Any], *, depth: int = 0) -> None:
    name = cmd.get("name", "")
    check(bool(COMMAND_NAME.match(name)) and name == name.lower(), f"bad command/option name {name!r}")
    ctype = cmd.get("type", 1)
    if ctype == 1 or depth > 0:
        check(1 <= _len(cmd.get("description")) <= 100, f"description of {name!r} must be 1-100 characters")
    options = cmd.get("options") or []
    check(len(options) <= 25, f"{name!r} has {len(options)} options > 25")
    required_done = False
    for opt in options:
        validate_command(opt, depth=depth + 1)
        if opt.get("type") in (1, 2):
            continue
        if not opt.get("required"):
            required_done = True
        else:
            check(not required_done, f"required option {opt['name']!r} after an optional one in {name!r}")
        check(len(opt.get("choices") or []) <= 25, f"option {opt['name']!r} has more than 25 choices")
        check(not (opt.get("choices") and opt.get("autocomplete")), "choices and autocomplete together")
