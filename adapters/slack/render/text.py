"""Text safety and Block Kit limits: every string a user could have typed is escaped, cut, and never pings.

* ``escape`` makes text inert in mrkdwn (``&``, ``<``, ``>``) and breaks ``@here``-style words with a
  zero-width space, so ``<!channel>``, ``<!subteam^…>`` or ``<@U…>`` show as text;
* ``fit`` cuts text to the limit of the field it lands in, with "…", so Slack never answers ``invalid_blocks``
  (sections 3,000 characters, headers 150, 50 blocks per message, 100 per view).
"""

from __future__ import annotations

import re
from datetime import datetime

from core import render as neutral
from core.model import Actor

ELLIPSIS = "…"
SECTION_MAX = 3000
FIELD_MAX = 2000
HEADER_MAX = 150
CONTEXT_MAX = 3000
BUTTON_MAX = 75
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
INPUT_MAX = 3000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
FALLBACK_MAX = 3000  # the notification text; Slack allows 40,000 but shows far less
MODAL_TITLE_MAX = 24

_PING_WORDS = re.compile(r"@(?=(?:here|channel|everyone)\b)", re.IGNORECASE)
_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")


def _units(text: str) -> int:
    """Length as Slack may count it (UTF-16 code units): never less than ``len``."""
    return len(text.encode("utf-16-le")) // 2


def cut_units(text: str, limit: int) -> str:
    out, used = [], 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > limit:
            break
        out.append(ch)
        used += size
    return "".join(out)


def fit(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, ending with "…" when cut; never splits an ``&amp;`` entity."""
    if _units(text) <= limit:
        return text
    head = cut_units(text, limit - 1)
    head = _ENTITY_TAIL.sub("", head)  # "&am" would show as garbage
    return head + ELLIPSIS


def escape(text: object) -> str:
    """Make user text inert in mrkdwn: escape ``& < >`` and break ``@here``/``@channel``/``@everyone``."""
    value = str(text if text is not None else "")
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PING_WORDS.sub("@\u200b", value)


def user_mrkdwn(text: object, limit: int = SECTION_MAX) -> str:
    """Escaped and cut: safe to put in any mrkdwn field of ``limit`` characters."""
    return fit(escape(text), limit)


def plain(text: object, limit: int, *, empty: str = "—") -> str:
    """For plain_text objects (never parsed for mentions): cut, never empty, single-line whitespace kept."""
    value = str(text if text is not None else "").strip()
    return fit(value, limit) if value else empty


def date_token(moment: datetime | None, *, fmt: str = "{date_short_pretty} {time}") -> str:
    """A Slack date token: each reader sees the time in their own timezone; the fallback is UTC."""
    if moment is None:
        return "—"
    return f"<!date^{int(moment.timestamp())}^{fmt}|{neutral.when(moment)}>"


def person(actor: Actor | None, *, with_platform: bool = True) -> str:
    """A person as escaped text (never a mention): ``Ann Lee (Discord)`` (names from ``core.render``)."""
    if actor is None:
        return "_unassigned_"
    name = escape(fit(actor.display, 80))
    if not with_platform or actor.platform == "system":
        return name
    return f"{name} ({escape(neutral.platform_name(actor.platform))})"


def platform(name: str) -> str:
    """A platform's name for a reader (``Discord``), escaped."""
    return escape(neutral.platform_name(name))


def split_text(text: str, limit: int = SECTION_MAX, max_parts: int = 40) -> list[str]:
    """Split escaped text into chunks of at most ``limit`` (on line or word breaks); "…" past ``max_parts``."""
    chunks: list[str] = []
    rest = text
    while rest and len(chunks) < max_parts:
        if _units(rest) <= limit:
            chunks.append(rest)
            rest = ""
            break
        head = cut_units(rest, limit)
        cut = max(head.rfind("\n"), head.rfind(" "))
        if cut < limit // 2:
            cut = len(head)
        piece = _ENTITY_TAIL.sub("", head[:cut]) or head[:cut]
        chunks.append(piece)
        rest = rest[len(piece) :].lstrip("\n")
    if rest:
        chunks[-1] = fit(chunks[-1] + rest, limit)  # too long even for max_parts sections: cut the end
    return [c for c in chunks if c.strip()] or []
