"""Unit-test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ``TICKETBOT_…`` variable from the caller's environment, and no stray ``.env`` in the folder."""
    for key in list(os.environ):
        if key.startswith("TICKETBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
