"""The REST API over real HTTP (uvicorn): every endpoint, tokens, validation, paging, idempotency, races."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from core.model import Status
from tests.e2e.web.harness import OTHER_TOKEN, Web
from tests.fakes.clock import FakeClock

DANA = {"platform": "api", "id": "u-1042", "name": "Dana", "email": "dana@example.com"}
AS_DANA = {"id": "u-1042", "role": "requester"}
SAM = {"platform": "slack", "id": "U042", "name": "Sam"}


async def open_ticket(web: Web, subject: str = "Cannot access dashboard", **extra: Any) -> dict[str, Any]:
    body = {"subject": subject, "description": "500 after login", "requester": DANA, **extra}
    reply = await web.call("POST", "/api/v1/tickets", body)
    assert reply.status == 201, reply.body
    return dict(reply.body["ticket"])


# ------------------------------------------------------------------------------------------------ tokens
async def test_every_api_route_needs_one_of_the_configured_tokens(web: Web) -> None:
    missing = await web.call("GET", "/api/v1/tickets", token=None)
    assert missing.status == 401 and missing.error["code"] == "unauthorized"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await web.call("GET", "/api/v1/tickets", token="not-a-token")
    assert wrong.status == 401 and "TICKETBOT_API_TOKENS" in wrong.error["message"]
    basic = await web.call("GET", "/api/v1/stats", token=None, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status == 401
    refused_create = await web.call("POST", "/api/v1/tickets", {"subject": "x", "requester": DANA}, token="nope")
    assert refused_create.status == 401 and await web.count() == 0
    assert (await web.call("GET", "/api/v1/tickets", token=OTHER_TOKEN)).status == 200  # either token works


@pytest.mark.parametrize("web_overrides", [{"api_tokens": []}], indirect=True)
async def test_without_tokens_every_api_route_answers_404_and_health_still_works(web: Web) -> None:
    for method, path in (("GET", "/api/v1/tickets"), ("POST", "/api/v1/tickets"), ("GET", "/api/v1/stats")):
        reply = await web.call(method, path, {"subject": "x", "requester": DANA} if method == "POST" else None)
        assert reply.status == 404 and reply.error["code"] == "not_found", (method, path)
    assert (await web.call("GET", "/healthz", token=None)).body == {"status": "ok"}
    assert await web.count() == 0


# ------------------------------------------------------------------------------------------------ endpoints
async def test_a_ticket_through_its_whole_life(web: Web, clock: FakeClock) -> None:
    ticket = await open_ticket(web, priority="high", category="billing")
    tid = ticket["id"]
    assert (ticket["priority"], ticket["category"], ticket["status"]) == ("High", "Billing", "Open")
    assert ticket["requester"] == DANA and ticket["sla_state"].startswith("due in")

    staff_reply = await web.call("POST", f"/api/v1/tickets/{tid}/replies", {"body": "Clear your cookies?", "by": SAM})
    assert staff_reply.status == 201 and staff_reply.body["ticket"]["status"] == "Pending"
    assert staff_reply.body["message"]["role"] == "staff" and staff_reply.body["message"]["author"]["id"] == "U042"
    answer = await web.call("POST", f"/api/v1/tickets/{tid}/replies", {"body": "Still broken", "by": AS_DANA})
    assert answer.status == 201 and answer.body["message"]["role"] == "requester"
    assert answer.body["ticket"]["status"] == "Open"
    note = await web.call("POST", f"/api/v1/tickets/{tid}/notes", {"body": "Plan B customer"})
    assert note.status == 201 and note.body["message"]["internal"] is True

    for path, body, field, value in (
        ("status", {"status": "pending"}, "status", "Pending"),
        ("priority", {"priority": "URGENT"}, "priority", "Urgent"),
        ("category", {"category": "technical"}, "category", "Technical"),
    ):
        changed = await web.call("PUT", f"/api/v1/tickets/{tid}/{path}", body)
        assert changed.status == 200 and changed.body["ticket"][field] == value, changed.body
        assert tid in changed.body["summary"]
    assigned = await web.call("PUT", f"/api/v1/tickets/{tid}/assignee", {"assignee": SAM})
    assert assigned.body["ticket"]["assignee"] == {**SAM, "email": None}
    unassigned = await web.call("PUT", f"/api/v1/tickets/{tid}/assignee", {"assignee": None})
    assert unassigned.status == 200 and unassigned.body["ticket"]["assignee"] is None

    closed = await web.call("POST", f"/api/v1/tickets/{tid}/close", {"reason": "cookies"})
    assert closed.body["ticket"]["status"] == "Closed" and closed.body["ticket"]["close_reason"] == "cookies"
    rated = await web.call("POST", f"/api/v1/tickets/{tid}/rating", {"rating": 5, "by": AS_DANA})
    assert rated.status == 200 and rated.body["ticket"]["rating"] == 5
    reopened = await web.call("POST", f"/api/v1/tickets/{tid}/reopen")
    assert reopened.status == 200 and reopened.body["ticket"]["status"] == "Open"

    detail = await web.call("GET", f"/api/v1/tickets/{tid.lower()}")
    assert detail.status == 200 and detail.body["ticket"]["id"] == tid
    assert [m["body"] for m in detail.body["messages"]] == [
        "500 after login", "Clear your cookies?", "Still broken", "Plan B customer",
    ]  # fmt: skip
    fields = [c["field"] for c in detail.body["history"]]
    assert fields[0] == "status" and {"priority", "category", "assignee", "rating"} <= set(fields)

    stats = await web.call("GET", "/api/v1/stats")
    assert stats.status == 200 and stats.body["total"] == 1 and stats.body["open"] == 1
    assert stats.body["csat_average"] == 5.0 and stats.body["by_priority"]["Urgent"]["open"] == 1


async def test_the_desk_decides_who_may_do_what(web: Web) -> None:
    tid = (await open_ticket(web))["id"]
    as_requester = await web.call("PUT", f"/api/v1/tickets/{tid}/priority", {"priority": "low", "by": AS_DANA})
    assert as_requester.status == 403 and as_requester.error["code"] == "not_permitted"
    stranger = {"id": "u-9", "role": "requester"}
    hidden = await web.call("POST", f"/api/v1/tickets/{tid}/replies", {"body": "hi", "by": stranger})
    assert hidden.status == 404 and hidden.error["code"] == "not_found"
    staff_rating = await web.call("POST", f"/api/v1/tickets/{tid}/rating", {"rating": 4, "by": {"id": "sam"}})
    assert staff_rating.status in (403, 409)
    unknown = await web.call("GET", "/api/v1/tickets/TKT-BBBBB")
    assert unknown.status == 404 and unknown.error["message"] == "ticket TKT-BBBBB not found"
    reopen_open = await web.call("POST", f"/api/v1/tickets/{tid}/reopen")
    assert reopen_open.status == 409 and reopen_open.error["code"] == "invalid_transition"
    ticket = await web.desk.queries.ticket(tid)
    assert ticket.priority.value == "Medium" and ticket.status is Status.OPEN and ticket.rating is None


async def test_validation_errors_are_422_malformed_json_400_and_nothing_changes(web: Web) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"subject": "", "requester": DANA}, "subject"),
        ({"subject": "x" * 151, "requester": DANA}, "subject"),
        ({"subject": "ok"}, "requester"),
        ({"subject": "ok", "requester": DANA, "priority": "whenever"}, "priority"),
        ({"subject": "ok", "requester": DANA, "surprise": 1}, "surprise"),
        ({"subject": "ok", "requester": {"id": ""}}, "requester.id"),
    ]
    for body, where in cases:
        reply = await web.call("POST", "/api/v1/tickets", body)
        assert reply.status == 422 and reply.error["code"] == "validation_error", body
        assert where in reply.error["message"], reply.error
    unknown_category = await web.call("POST", "/api/v1/tickets", {"subject": "ok", "requester": DANA, "category": "x"})
    assert (
        unknown_category.status == 422
        and "choose one of Technical, Billing, General" in unknown_category.error["message"]
    )
    malformed = await web.call(
        "POST", "/api/v1/tickets", data=b'{"subject": ', headers={"Content-Type": "application/json"}
    )
    assert malformed.status == 400 and malformed.error["code"] == "malformed_json"
    bad_id = await web.call("GET", "/api/v1/tickets/not-an-id")
    assert bad_id.status == 422 and "is not a ticket id" in bad_id.error["message"]
    too_big_page = await web.call("GET", "/api/v1/tickets", params={"limit": "101"})
    assert too_big_page.status == 422
    bad_query = await web.call("GET", "/api/v1/search", params={"q": "created:tomorrowish"})
    assert bad_query.status == 422 and bad_query.error["code"] == "invalid_input"
    assert await web.count() == 0


async def test_bodies_over_1_mib_and_non_json_bodies_are_refused_before_parsing(web: Web) -> None:
    big = b'{"subject": "' + b"x" * (1024 * 1024) + b'"}'
    too_large = await web.call("POST", "/api/v1/tickets", data=big, headers={"Content-Type": "application/json"})
    assert too_large.status == 413 and too_large.error["code"] == "too_large"

    async def chunks() -> Any:  # no Content-Length: counted as it streams
        for _ in range(40):
            yield b"x" * 65536

    async with web.session.post(
        f"{web.url}/api/v1/tickets", data=chunks(),
        headers={"Authorization": "Bearer test-token-1", "Content-Type": "application/json"},
    ) as resp:  # fmt: skip
        assert resp.status == 413 and (await resp.json())["error"]["code"] == "too_large"
    form = await web.call("POST", "/api/v1/tickets", data=b"subject=x", headers={"Content-Type": "text/plain"})
    assert form.status == 415 and form.error["code"] == "unsupported_media_type"
    assert await web.count() == 0


# ------------------------------------------------------------------------------------------------ paging
async def test_lists_and_searches_page_with_a_cursor_to_the_end(web: Web, clock: FakeClock) -> None:
    made = []
    for i in range(7):
        made.append((await open_ticket(web, f"Printer {i} jammed", requester={**DANA, "id": f"u{i}"}))["id"])
        clock.advance(minutes=1)
    for path, params in (("/api/v1/tickets", {}), ("/api/v1/search", {"q": "printer"})):
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            query = {**params, "limit": "3", **({"cursor": cursor} if cursor else {})}
            page = await web.call("GET", path, params=query)
            assert page.status == 200 and page.body["total"] == 7 and len(page.body["items"]) <= 3
            seen += [t["id"] for t in page.body["items"]]
            cursor = page.body["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(made) and len(seen) == 7, path
    listed = await web.call("GET", "/api/v1/tickets", params={"limit": "3"})
    foreign = await web.call("GET", "/api/v1/search", params={"q": "printer", "cursor": listed.body["next_cursor"]})
    assert foreign.status == 400 and foreign.error["code"] == "bad_cursor"
    garbage = await web.call("GET", "/api/v1/tickets", params={"cursor": "%%%"})
    assert garbage.status == 400
    closed_only = await web.call("GET", "/api/v1/tickets", params=[("status", "closed")])
    assert closed_only.body["total"] == 0 and closed_only.body["next_cursor"] is None


# ------------------------------------------------------------------------------------------------ idempotency
async def test_an_idempotency_key_opens_one_ticket_for_24_hours(web: Web, clock: FakeClock) -> None:
    body = {"subject": "Charged twice", "requester": DANA}
    first, again = [
        await web.call("POST", "/api/v1/tickets", body, headers={"Idempotency-Key": "order-77"}) for _ in "ab"
    ]
    assert (first.status, again.status) == (201, 200) and again.headers["idempotent-replayed"] == "true"
    assert first.body["ticket"]["id"] == again.body["ticket"]["id"] and await web.count() == 1
    race = {**body, "subject": "Race"}
    together = await asyncio.gather(
        *(web.call("POST", "/api/v1/tickets", race, headers={"Idempotency-Key": "race"}) for _ in range(5))
    )
    assert sorted(r.status for r in together) == [200, 200, 200, 200, 201]
    assert len({r.body["ticket"]["id"] for r in together}) == 1 and await web.count() == 2
    clock.advance(timedelta(hours=24, seconds=1))
    later = await web.call("POST", "/api/v1/tickets", body, headers={"Idempotency-Key": "order-77"})
    assert later.status == 201 and later.body["ticket"]["id"] != first.body["ticket"]["id"]


async def test_two_simultaneous_changes_both_apply_in_turn_or_one_is_refused(web: Web) -> None:
    tid = (await open_ticket(web))["id"]
    pending, urgent = await asyncio.gather(
        web.call("PUT", f"/api/v1/tickets/{tid}/status", {"status": "pending"}),
        web.call("PUT", f"/api/v1/tickets/{tid}/priority", {"priority": "urgent"}),
    )
    assert (pending.status, urgent.status) == (200, 200)
    ticket = await web.desk.queries.ticket(tid)
    assert (ticket.status, ticket.priority.value) == (Status.PENDING, "Urgent")
    closes = await asyncio.gather(*(web.call("POST", f"/api/v1/tickets/{tid}/close") for _ in range(2)))
    assert sorted(r.status for r in closes) == [200, 409]
    assert next(r for r in closes if r.status == 409).error["message"].endswith("is already closed")
    detail = await web.call("GET", f"/api/v1/tickets/{tid}")
    assert [c["new"] for c in detail.body["history"] if c["field"] == "status"] == ["Open", "Pending", "Closed"]
