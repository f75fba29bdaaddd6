"""Building blocks of the configuration: each adapter owns a section (``adapters/<name>/settings.py``) built
from these, and ``bot.settings`` composes the sections under the ``TICKETBOT_`` prefix.

Sections are plain pydantic models (no environment reading here); a section checks itself once, in its
own validator, and names the variable to fix in its message.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict
from pydantic_settings import NoDecode

CommaList = Annotated[list[str], NoDecode]
"""A list read as ``a,b,c`` (or a JSON array) from one variable."""


def split_list(value: Any) -> Any:
    """``"U01, U02"`` or ``'["U01","U02"]'`` → ``["U01", "U02"]``; the validator of every ``CommaList``."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                raise ValueError('a list is comma-separated (a,b,c) or a JSON array (["a","b"])') from None
            if not isinstance(parsed, list) or not all(isinstance(p, str | int) for p in parsed):
                raise ValueError('a JSON list must hold strings, e.g. ["a","b"]')
            return [str(p).strip() for p in parsed if str(p).strip()]
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class Section(BaseModel):
    """A configuration section: unknown keys are errors (a misspelt nested variable is reported)."""

    model_config = ConfigDict(extra="forbid")
