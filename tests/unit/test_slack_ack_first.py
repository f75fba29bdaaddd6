"""AckFirst: work after an ack waits while Slack's requests are being answered — but never forever."""

from __future__ import annotations

import asyncio

from adapters.slack.transport import AckFirst


async def test_work_waits_until_earlier_requests_are_answered():
    gate = AckFirst(max_wait=5)
    first_done, second_done = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def request(name: str, done: asyncio.Event) -> None:
        async with gate.request():
            await done.wait()
            order.append(f"answered {name}")

    r1 = asyncio.create_task(request("r1", first_done))
    r2 = asyncio.create_task(request("r2", second_done))
    await asyncio.sleep(0)

    async def work() -> None:
        await gate.after_acks()
        order.append("work")

    w = asyncio.create_task(work())
    await asyncio.sleep(0.01)
    assert order == []
    second_done.set()
    await asyncio.sleep(0.01)
    assert order == ["answered r2"]  # r1 (earlier) still open: the work keeps waiting
    first_done.set()
    await asyncio.gather(r1, r2, w)
    assert order == ["answered r2", "answered r1", "work"]


async def test_work_runs_at_once_when_slack_is_idle():
    gate = AckFirst(max_wait=5)
    await asyncio.wait_for(gate.after_acks(), 0.01)  # nothing in flight
    async with gate.request():
        pass
    await asyncio.wait_for(gate.after_acks(), 0.01)  # everything answered


async def test_the_wait_is_bounded():
    gate = AckFirst(max_wait=0.05)
    stuck = asyncio.Event()

    async def never_answered() -> None:
        async with gate.request():
            await stuck.wait()

    task = asyncio.create_task(never_answered())
    await asyncio.sleep(0)
    await asyncio.wait_for(gate.after_acks(), 1)  # gives up after max_wait
    stuck.set()
    await task
