"""The result of one configuration check (``ticketbot doctor``, and the checks ``ticketbot run`` starts with).

Each adapter knows how to check itself against its platform; the composition root runs the checks and
prints one line per ``Check``. ``fatal`` marks what stops ``ticketbot run`` at start (a refused token, a
channel the bot is not in); the rest only warn there, and ``doctor`` fails on every ``FAIL``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Verdict(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """``name``: what was checked (``slack token``); ``message``: what was found; ``fix``: what to do."""

    name: str
    verdict: Verdict
    message: str
    fix: str = ""
    fatal: bool = False

    @classmethod
    def ok(cls, name: str, message: str) -> Check:
        return cls(name, Verdict.OK, message)

    @classmethod
    def warn(cls, name: str, message: str, fix: str = "") -> Check:
        return cls(name, Verdict.WARN, message, fix)

    @classmethod
    def fail(cls, name: str, message: str, fix: str = "", *, fatal: bool = False) -> Check:
        return cls(name, Verdict.FAIL, message, fix, fatal)

    @property
    def line(self) -> str:
        """One line: what was found, and what to do about it."""
        return f"{self.name}: {self.message}" + (f" — {self.fix}" if self.fix else "")


def first_fatal(checks: list[Check]) -> Check | None:
    return next((c for c in checks if c.verdict is Verdict.FAIL and c.fatal), None)
