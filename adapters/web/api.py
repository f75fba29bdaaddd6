"""The REST API under ``/api/v1``: the same ``core.commands`` the chat adapters run, over JSON.

Every route needs ``Authorization: Bearer <token>`` (``TICKETBOT_API_TOKENS``). A caller acts as the API's
staff identity unless the body says who acts (``by``: a staff member, or the ticket's requester); the desk
decides what each may do, as for every platform. Lists and searches page with an opaque ``cursor``
(``next_cursor`` of the previous page) and at most ``MAX_PAGE`` tickets a page.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adapters.web import schemas as s
from adapters.web.auth import BearerTokens
from adapters.web.errors import ApiError
from core.commands import (
    OPEN_STATUSES,
    AddNote,
    Assign,
    Changed,
    ChangeStatus,
    Close,
    Command,
    ListTickets,
    OpenTicket,
    Page,
    Posted,
    Rate,
    Reopen,
    Reply,
    Result,
    Search,
    SetCategory,
    SetPriority,
    ShowHistory,
    Shown,
    ShowStats,
    ShowTicket,
)
from core.desk import MAX_PAGE, Desk
from core.model import Actor, Status
from core.stats import Stats

API_PREFIX = "/api/v1"
API_STAFF = Actor(platform="api", user_id="api", name="API", is_staff=True)

_errors = {status: {"model": s.ErrorOut, "description": what} for status, what in {
    400: "Malformed request (bad JSON, bad cursor)",
    401: "Missing or wrong bearer token",
    403: "Not permitted for who acts (e.g. a requester changing the priority)",
    404: "No such ticket (or not the requester's)",
    409: "The ticket's state forbids it (e.g. closing a closed ticket), or a limit is reached",
    413: "Body over 1 MiB",
    415: "Body not JSON",
    422: "Invalid values",
}.items()}  # fmt: skip
TicketId = Annotated[str, Path(max_length=20, description="e.g. TKT-B3X9C", examples=["TKT-B3X9C"])]
Credentials = Annotated[
    HTTPAuthorizationCredentials | None,
    Depends(HTTPBearer(auto_error=False, description="One of TICKETBOT_API_TOKENS")),
]


def build_api(desk: Desk, tokens: BearerTokens) -> APIRouter:
    """The ``/api/v1`` router for ``desk``, guarded by ``tokens``."""

    async def authorized(credentials: Credentials) -> None:
        tokens.check(f"{credentials.scheme} {credentials.credentials}" if credentials else None)

    router = APIRouter(prefix=API_PREFIX, dependencies=[Depends(authorized)], responses=_errors)  # type: ignore[arg-type]

    async def run(command: Command, actor: Actor) -> Result:
        return await desk.execute(command, actor)

    def changed(result: Result) -> s.ChangedOut:
        assert isinstance(result, Changed)
        return s.ChangedOut.of(result, desk.clock.now())

    def posted(result: Result) -> s.PostedOut:
        assert isinstance(result, Posted)
        return s.PostedOut.of(result, desk.clock.now())

    def who(by: s.Author | None) -> Actor:
        return by.acting() if by is not None else API_STAFF

    # ------------------------------------------------------------------------------------------ tickets
    @router.post("/tickets", status_code=201, tags=["tickets"], summary="Open a ticket",
                 responses={200: {"model": s.ChangedOut, "description": "Replayed: this Idempotency-Key "
                                  "already opened this ticket (in the last 24 h)"}})  # fmt: skip
    async def create_ticket(
        body: s.TicketCreate,
        response: Response,
        idempotency_key: Annotated[
            str | None,
            Header(alias="Idempotency-Key", max_length=200, description="The same key within 24 h opens nothing "
                   "new: the first answer's ticket comes back (200)."),
        ] = None,
    ) -> s.ChangedOut:  # fmt: skip
        command = OpenTicket(
            body.subject, body.description, body.category, body.priority,
            requester=body.requester.actor(is_staff=False),
            idempotency_key=f"api:{idempotency_key}" if idempotency_key else None,
        )  # fmt: skip
        result = await run(command, API_STAFF)
        assert isinstance(result, Changed)
        if not result.events:  # the key's earlier answer
            response.status_code = 200
            response.headers["Idempotent-Replayed"] = "true"
        return changed(result)

    @router.get("/tickets", tags=["tickets"], summary="List tickets (the staff queue)")
    async def list_tickets(
        status: Annotated[list[s.StatusName] | None, Query(description="Repeat for several. Default: Open and "
                                                           "Pending.")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> s.PageOut:  # fmt: skip
        statuses = tuple(Status.parse(x) for x in dict.fromkeys(status or ())) or OPEN_STATUSES
        scope = "list:" + ",".join(x.value for x in statuses)
        offset = _offset(cursor, scope)
        page = await run(ListTickets(statuses, False, limit, offset), API_STAFF)
        return _page(page, scope, desk)

    @router.get("/search", tags=["tickets"], summary="Search tickets with the query language")
    async def search(
        q: Annotated[str, Query(min_length=1, max_length=500, examples=["login error status:open priority:high"])],
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> s.PageOut:
        scope = "search:" + q
        page = await run(Search(q, limit, _offset(cursor, scope)), API_STAFF)
        return _page(page, scope, desk)

    @router.get("/tickets/{ticket_id}", tags=["tickets"], summary="A ticket, its messages and its history")
    async def get_ticket(ticket_id: TicketId) -> s.TicketDetail:
        shown = await run(ShowTicket(ticket_id), API_STAFF)
        history = await run(ShowHistory(ticket_id), API_STAFF)
        assert isinstance(shown, Shown)
        now = desk.clock.now()
        return s.TicketDetail(
            ticket=s.TicketOut.of(shown.ticket, now),
            messages=[s.MessageOut.of(m) for m in shown.thread],
            history=[s.ChangeOut.of(c) for c in getattr(history, "changes", ())],
        )

    # ------------------------------------------------------------------------------------------ messages
    @router.post("/tickets/{ticket_id}/replies", status_code=201, tags=["messages"],
                 summary="Reply, as staff (default) or as the requester")  # fmt: skip
    async def reply(ticket_id: TicketId, body: s.ReplyCreate) -> s.PostedOut:
        actor = who(body.by)
        return posted(await run(Reply(ticket_id, body.body, as_staff=actor.is_staff), actor))

    @router.post("/tickets/{ticket_id}/notes", status_code=201, tags=["messages"],
                 summary="Add an internal note (never shown to the requester)")  # fmt: skip
    async def note(ticket_id: TicketId, body: s.NoteCreate) -> s.PostedOut:
        return posted(await run(AddNote(ticket_id, body.body), who(body.by)))

    # ------------------------------------------------------------------------------------------ changes
    @router.put("/tickets/{ticket_id}/status", tags=["changes"], summary="Set the status")
    async def set_status(ticket_id: TicketId, body: s.StatusChange) -> s.ChangedOut:
        return changed(await run(ChangeStatus(ticket_id, body.status), who(body.by)))

    @router.put("/tickets/{ticket_id}/priority", tags=["changes"], summary="Set the priority")
    async def set_priority(ticket_id: TicketId, body: s.PriorityChange) -> s.ChangedOut:
        return changed(await run(SetPriority(ticket_id, body.priority), who(body.by)))

    @router.put("/tickets/{ticket_id}/category", tags=["changes"], summary="Move to another category")
    async def set_category(ticket_id: TicketId, body: s.CategoryChange) -> s.ChangedOut:
        return changed(await run(SetCategory(ticket_id, body.category), who(body.by)))

    @router.put("/tickets/{ticket_id}/assignee", tags=["changes"], summary="Assign (or unassign with null)")
    async def set_assignee(ticket_id: TicketId, body: s.AssigneeChange) -> s.ChangedOut:
        assignee = body.assignee.actor(is_staff=True) if body.assignee is not None else None
        return changed(await run(Assign(ticket_id, assignee), who(body.by)))

    @router.post("/tickets/{ticket_id}/close", tags=["changes"], summary="Close")
    async def close(ticket_id: TicketId, body: s.CloseRequest | None = None) -> s.ChangedOut:
        body = body or s.CloseRequest()
        return changed(await run(Close(ticket_id, body.reason), who(body.by)))

    @router.post("/tickets/{ticket_id}/reopen", tags=["changes"], summary="Reopen a closed ticket")
    async def reopen(ticket_id: TicketId, body: s.ReopenRequest | None = None) -> s.ChangedOut:
        return changed(await run(Reopen(ticket_id), who(body.by if body else None)))

    @router.post("/tickets/{ticket_id}/rating", tags=["changes"], summary="Rate a closed ticket (its requester)")
    async def rate(ticket_id: TicketId, body: s.RatingCreate) -> s.ChangedOut:
        return changed(await run(Rate(ticket_id, body.rating), body.by.acting()))

    # ------------------------------------------------------------------------------------------ stats
    @router.get("/stats", tags=["stats"], summary="Statistics: all time, last 24 h and 7 days, oldest open")
    async def stats() -> s.StatsOut:
        result = await run(ShowStats(), API_STAFF)
        assert isinstance(result, Stats)
        return s.StatsOut.of(result, desk.clock.now())

    return router


def _offset(cursor: str | None, scope: str) -> int:
    """The offset a cursor stands for; a cursor of another list or search is refused."""
    if not cursor:
        return 0
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
        offset = int(data["o"])
        same = data["s"] == _scope_hash(scope)
    except (ValueError, KeyError, TypeError):
        raise ApiError(400, "bad_cursor", "the cursor is not one this API gave out") from None
    if not same or offset < 0:
        raise ApiError(400, "bad_cursor", "the cursor belongs to another list or search; start without one")
    return offset


def _cursor(offset: int, scope: str) -> str:
    raw = json.dumps({"o": offset, "s": _scope_hash(scope)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _scope_hash(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:12]


def _page(page: Result, scope: str, desk: Desk) -> s.PageOut:
    assert isinstance(page, Page)
    now = desk.clock.now()
    return s.PageOut(
        items=[s.TicketOut.of(t, now) for t in page.items],
        total=page.total,
        total_capped=page.total_capped,
        limit=page.limit,
        next_cursor=_cursor(page.last, scope) if page.has_more and page.items else None,
    )
