"""How ``GroupCommit`` queues and groups units of work, with a fake transaction runner in place of the driver."""

from __future__ import annotations

import asyncio

import pytest

from core.storage.group_commit import GroupCommit, Unit


class FakeTransactions:
    """Runs each group like ``run_group`` does (every unit, in order, errors kept per unit), recording the
    groups; ``gate`` holds a group open until the test lets it finish; ``fail`` fails a whole group."""

    def __init__(self) -> None:
        self.groups: list[list[str]] = []
        self.gate: asyncio.Event | None = None
        self.fail: Exception | None = None

    async def __call__(self, units: list[Unit]) -> None:
        self.groups.append([u.fn.__name__ for u in units])
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        for unit in units:
            unit.run(None)  # type: ignore[arg-type]


def unit(name: str):  # type: ignore[no-untyped-def]
    def fn(_conn: object) -> str:
        if name.startswith("bad"):
            raise ValueError(name)
        return name

    fn.__name__ = name
    return fn


async def test_a_lone_write_runs_at_once_in_its_own_group() -> None:
    runs = FakeTransactions()
    commit = GroupCommit(runs)
    assert await commit.submit(unit("a")) == "a"
    assert await commit.submit(unit("b")) == "b"
    assert runs.groups == [["a"], ["b"]]
    assert (commit.groups, commit.units) == (2, 2)


async def test_writes_arriving_during_a_group_go_together_in_the_next() -> None:
    runs = FakeTransactions()
    runs.gate = asyncio.Event()
    commit = GroupCommit(runs)
    first = asyncio.ensure_future(commit.submit(unit("a")))
    await asyncio.sleep(0.01)
    rest = [asyncio.ensure_future(commit.submit(unit(n))) for n in "bcd"]
    await asyncio.sleep(0.01)
    runs.gate.set()
    assert await asyncio.gather(first, *rest) == ["a", "b", "c", "d"]
    assert runs.groups == [["a"], ["b", "c", "d"]]


async def test_groups_are_bounded() -> None:
    runs = FakeTransactions()
    commit = GroupCommit(runs, max_group=3)
    results = await asyncio.gather(*(commit.submit(unit(str(i))) for i in range(7)))
    assert results == [str(i) for i in range(7)]
    assert [len(g) for g in runs.groups] == [3, 3, 1]


async def test_a_failing_unit_fails_alone() -> None:
    runs = FakeTransactions()
    commit = GroupCommit(runs)
    results = await asyncio.gather(*(commit.submit(unit(n)) for n in ("a", "bad1", "c")), return_exceptions=True)
    assert results[0] == "a" and results[2] == "c"
    assert isinstance(results[1], ValueError) and str(results[1]) == "bad1"


async def test_a_failing_transaction_fails_every_unit_of_its_group_and_the_next_group_runs() -> None:
    runs = FakeTransactions()
    runs.fail = OSError("disk I/O error")
    commit = GroupCommit(runs)
    results = await asyncio.gather(*(commit.submit(unit(n)) for n in "abc"), return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    runs.fail = None
    assert await commit.submit(unit("d")) == "d"


async def test_a_caller_cancelled_before_its_group_starts_is_left_out() -> None:
    runs = FakeTransactions()
    runs.gate = asyncio.Event()
    commit = GroupCommit(runs)
    first = asyncio.ensure_future(commit.submit(unit("a")))
    await asyncio.sleep(0.01)
    dropped = asyncio.ensure_future(commit.submit(unit("b")))
    kept = asyncio.ensure_future(commit.submit(unit("c")))
    await asyncio.sleep(0.01)
    dropped.cancel()
    runs.gate.set()
    assert await first == "a" and await kept == "c"
    with pytest.raises(asyncio.CancelledError):
        await dropped
    assert runs.groups == [["a"], ["c"]]
