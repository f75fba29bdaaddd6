"""core.pacing: calls spaced per key, held after a 429, and a line that keeps first-come order across awaits."""

from __future__ import annotations

import asyncio

import pytest

from core.pacing import Line, Pace
from core.ports import RetryLater


async def starts(pace: Pace, keys: list[str]) -> list[tuple[str, float]]:
    """Enter a slot for each key at once; when (loop time) each one got in."""
    loop = asyncio.get_running_loop()
    got: list[tuple[str, float]] = []

    async def one(key: str) -> None:
        async with pace.slot(key):
            got.append((key, loop.time()))

    await asyncio.gather(*(one(k) for k in keys))
    return got


async def test_calls_on_one_key_are_spaced_and_served_in_the_order_they_asked():
    got = await starts(Pace(per_second=50), ["C1"] * 5)
    times = [t for _, t in got]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(got) == 5
    assert all(gap >= 0.019 for gap in gaps), gaps  # 1/50 s apart (never faster; a loaded machine may be slower)


async def test_keys_are_paced_independently():
    got = await starts(Pace(per_second=2), ["C1", "C2", "C3"])
    times = [t for _, t in got]
    assert max(times) - min(times) < 0.4  # three channels: no one waits half a second for another's slot


async def test_no_pacing_at_zero():
    got = await starts(Pace(per_second=0), ["C1"] * 50)
    assert len(got) == 50


async def test_a_hold_is_waited_out_before_the_next_slot():
    pace = Pace(per_second=0)
    loop = asyncio.get_running_loop()
    pace.hold("C1", 0.1)
    begin = loop.time()
    async with pace.slot("C1"):
        waited = loop.time() - begin
    async with pace.slot("C2"):  # another key is not held
        pass
    assert waited >= 0.09
    assert pace.held_for("C1") == 0


async def test_a_long_hold_postpones_instead_of_waiting():
    pace = Pace(per_second=1, max_wait=5)
    pace.hold("C1", 30)
    with pytest.raises(RetryLater) as err:
        async with pace.slot("C1"):
            pass
    assert 29 < err.value.delay <= 30
    pace.hold("C1", 2)  # a shorter hold never shortens a longer one
    assert pace.held_for("C1") > 29


async def test_a_line_serves_places_in_the_order_they_were_taken():
    line = Line()
    first, second, third = line.join("C1"), line.join("C1"), line.join("C1")
    elsewhere = line.join("C2")
    served: list[str] = []

    async def take(name: str, place, delay: float) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(delay)  # the later places reach their turn first
        await place.turn()
        served.append(name)
        place.leave()

    await elsewhere.turn()  # another key's line does not wait for C1's
    await asyncio.gather(take("first", first, 0.05), take("second", second, 0.02), take("third", third, 0.0))
    assert served == ["first", "second", "third"]


async def test_a_place_that_leaves_early_lets_the_next_one_go():
    line = Line()
    first, second = line.join(), line.join()
    first.leave()
    first.leave()  # idempotent
    await asyncio.wait_for(second.turn(), 1)
    second.leave()
    third = line.join()
    await asyncio.wait_for(third.turn(), 1)  # nobody ahead any more
