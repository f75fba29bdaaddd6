"""The import rules of the ports-and-adapters layout, checked on the source (DESIGN.md, "Shape"):

- core/ imports no Slack, Discord or web library, and outside core/storage no SQLAlchemy either;
- adapters/ import neither the composition root (bot/) nor the storage (core.storage): they get what they
  need injected, and reach the database only through the desk's ports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_LIBRARIES = ("slack_bolt", "slack_sdk", "discord", "fastapi", "starlette", "aiohttp", "uvicorn")


def imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports, wherever the import statement is (functions included)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offenders(folder: str, forbidden: tuple[str, ...], *, skip: str | None = None) -> set[str]:
    files = [p for p in (ROOT / folder).rglob("*.py") if skip is None or skip not in p.relative_to(ROOT).parts]
    assert len(files) > 5, f"no sources found under {folder}"
    return {
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    }


def test_core_imports_no_platform_library() -> None:
    assert not offenders("core", PLATFORM_LIBRARIES)


def test_core_outside_storage_imports_no_sqlalchemy() -> None:
    assert not offenders("core", ("sqlalchemy", "alembic", "aiosqlite", "asyncpg"), skip="storage")


def test_adapters_import_neither_the_composition_root_nor_the_storage() -> None:
    assert not offenders("adapters", ("bot", "core.storage", "sqlalchemy"))


@pytest.mark.parametrize(
    ("source", "forbidden", "caught"),
    [
        ("import discord\nfrom slack_bolt.async_app import AsyncApp\n", PLATFORM_LIBRARIES, 2),
        ("def f():\n    from bot.settings import Settings\n", ("bot",), 1),
        ("from core.storage.uow import UnitOfWork\nimport botany\n", ("bot", "core.storage"), 1),
    ],
)
def test_the_check_would_catch_an_offender(
    tmp_path: Path, source: str, forbidden: tuple[str, ...], caught: int
) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(source)
    names = imported_modules(bad)
    assert len([n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden)]) == caught
