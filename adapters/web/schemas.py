"""The REST API's request and response bodies (pydantic), with the examples shown in ``/openapi.json``.

Requests are translated into ``core.commands``; responses are drawn from the desk's typed results. Limits
here mirror the core's (subject 150, message 40,000 characters) so a client learns them from the schema; the
desk checks them again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from core import render
from core.commands import Changed, Posted
from core.model import BODY_MAX, SUBJECT_MAX, Actor, Attachment, Change, Message, Ticket
from core.stats import Breakdown, Stats


def _title_case(value: Any) -> Any:
    return value.strip().capitalize() if isinstance(value, str) else value


StatusName = Annotated[Literal["Open", "Pending", "Closed"], BeforeValidator(_title_case)]
PriorityName = Annotated[Literal["Low", "Medium", "High", "Urgent"], BeforeValidator(_title_case)]
Text = Annotated[str, Field(max_length=BODY_MAX)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------------ people
class Person(Body):
    """Someone on a platform: ``platform`` is where their id is from (``api`` for your own system's ids)."""

    platform: str = Field("api", pattern=r"^[a-z]{2,16}$", examples=["api"])
    id: str = Field(min_length=1, max_length=64, examples=["u-1042"])
    name: str = Field("", max_length=120, examples=["Dana Scully"])
    email: str | None = Field(None, max_length=254, examples=["dana@example.com"])

    def actor(self, *, is_staff: bool) -> Actor:
        return Actor(self.platform, self.id, self.name, self.email, is_staff)


class Author(Person):
    """Who acts: a staff member (the default), or the ticket's requester."""

    role: Literal["staff", "requester"] = "staff"

    def acting(self) -> Actor:
        return self.actor(is_staff=self.role == "staff")


class PersonOut(BaseModel):
    platform: str
    id: str
    name: str
    email: str | None = None

    @classmethod
    def of(cls, actor: Actor) -> PersonOut:
        return cls(platform=actor.platform, id=actor.user_id, name=actor.display, email=actor.email)


# ------------------------------------------------------------------------------------------------ requests
class TicketCreate(Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "Cannot access dashboard",
                    "description": "I get a 500 error after logging in.",
                    "category": "Technical",
                    "priority": "High",
                    "requester": {"platform": "api", "id": "u-1042", "name": "Dana", "email": "dana@example.com"},
                }
            ]
        },
    )

    subject: str = Field(min_length=1, max_length=SUBJECT_MAX)
    description: Text = ""
    category: str | None = Field(None, max_length=50, description="Default: the first configured category.")
    priority: PriorityName | None = None
    requester: Person


class ReplyCreate(Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"body": "Please clear your cookies and try again."}]},
    )

    body: Text = Field(min_length=1)
    by: Author | None = Field(None, description="Who writes (default: the API's staff identity).")


class NoteCreate(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"body": "Customer is on plan B."}]})

    body: Text = Field(min_length=1)
    by: Author | None = None


class StatusChange(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"status": "Pending"}]})

    status: StatusName
    by: Author | None = None


class PriorityChange(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"priority": "Urgent"}]})

    priority: PriorityName
    by: Author | None = None


class CategoryChange(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"category": "Billing"}]})

    category: str = Field(min_length=1, max_length=50)
    by: Author | None = None


class AssigneeChange(Body):
    """``assignee: null`` unassigns. The API vouches that the assignee is a staff member."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"assignee": {"platform": "slack", "id": "U042", "name": "Sam"}}]},
    )

    assignee: Person | None
    by: Author | None = None


class CloseRequest(Body):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "password reset"}]})

    reason: str | None = Field(None, max_length=500)
    by: Author | None = None


class ReopenRequest(Body):
    by: Author | None = None


class RatingCreate(Body):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"rating": 5, "by": {"id": "u-1042", "role": "requester"}}]},
    )

    rating: int = Field(ge=1, le=5)
    by: Author = Field(description="The requester (only they rate, once).")


# ------------------------------------------------------------------------------------------------ responses
class AttachmentOut(BaseModel):
    name: str
    url: str
    size: int | None
    content_type: str | None

    @classmethod
    def of(cls, a: Attachment) -> AttachmentOut:
        return cls(name=a.name, url=a.url, size=a.size, content_type=a.content_type)


class TicketOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "TKT-B3X9C", "subject": "Cannot access dashboard", "category": "Technical",
                    "priority": "High", "status": "Open",
                    "requester": {"platform": "api", "id": "u-1042", "name": "Dana", "email": "dana@example.com"},
                    "assignee": None, "created_at": "2026-12-01T09:00:00Z", "updated_at": "2026-12-01T09:00:00Z",
                    "first_response_at": None, "closed_at": None, "reopened_at": None,
                    "sla_due_at": "2026-12-01T13:00:00Z", "sla_breached": False, "sla_state": "due in 4 h",
                    "rating": None, "reopened_from": None, "close_reason": None, "version": 1,
                }
            ]
        }
    )  # fmt: skip

    id: str
    subject: str
    category: str
    priority: str
    status: str
    requester: PersonOut
    assignee: PersonOut | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    closed_at: datetime | None
    reopened_at: datetime | None
    sla_due_at: datetime | None
    sla_breached: bool
    sla_state: str = Field(description="The SLA in words: due in …, overdue by …, paused, met.")
    rating: int | None
    reopened_from: str | None
    close_reason: str | None
    version: int

    @classmethod
    def of(cls, t: Ticket, now: datetime) -> TicketOut:
        return cls(
            id=t.id, subject=t.subject, category=t.category, priority=t.priority.value, status=t.status.value,
            requester=PersonOut.of(t.requester), assignee=PersonOut.of(t.assignee) if t.assignee else None,
            created_at=t.created_at, updated_at=t.updated_at, first_response_at=t.first_response_at,
            closed_at=t.closed_at, reopened_at=t.reopened_at, sla_due_at=t.sla_due_at, sla_breached=t.sla_breached,
            sla_state=render.sla_state(t, now), rating=t.rating, reopened_from=t.reopened_from,
            close_reason=t.close_reason, version=t.version,
        )  # fmt: skip


class MessageOut(BaseModel):
    id: int
    author: PersonOut
    role: Literal["requester", "staff", "system"]
    body: str
    internal: bool
    created_at: datetime
    attachments: list[AttachmentOut]

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
            id=m.id, author=PersonOut.of(m.author), role=m.role.value, body=m.body, internal=m.internal,
            created_at=m.created_at, attachments=[AttachmentOut.of(a) for a in m.attachments],
        )  # fmt: skip


class ChangeOut(BaseModel):
    field: str
    old: str | None
    new: str | None
    by: PersonOut
    at: datetime

    @classmethod
    def of(cls, c: Change) -> ChangeOut:
        return cls(field=c.field, old=c.old, new=c.new, by=PersonOut.of(c.actor), at=c.at)


class TicketDetail(BaseModel):
    ticket: TicketOut
    messages: list[MessageOut] = Field(description="The whole conversation, internal notes included.")
    history: list[ChangeOut]


class ChangedOut(BaseModel):
    ticket: TicketOut
    summary: str = Field(description="What changed, in words.", examples=["TKT-B3X9C is now Pending."])

    @classmethod
    def of(cls, result: Changed, now: datetime) -> ChangedOut:
        return cls(ticket=TicketOut.of(result.ticket, now), summary=render.change_words(result))


class PostedOut(BaseModel):
    message: MessageOut
    ticket: TicketOut = Field(description="Where the message landed (a follow-up ticket when the old one was "
                                          "closed too long ago).")  # fmt: skip
    followed_up: bool
    summary: str

    @classmethod
    def of(cls, result: Posted, now: datetime) -> PostedOut:
        return cls(
            message=MessageOut.of(result.message), ticket=TicketOut.of(result.ticket, now),
            followed_up=result.followed_up, summary=render.post_words(result),
        )  # fmt: skip


class PageOut(BaseModel):
    items: list[TicketOut]
    total: int = Field(description="Matching tickets, counted up to a cap (see total_capped).")
    total_capped: bool
    limit: int
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class BreakdownOut(BaseModel):
    open: int
    pending: int
    closed: int

    @classmethod
    def of(cls, b: Breakdown) -> BreakdownOut:
        return cls(open=b.open, pending=b.pending, closed=b.closed)


class StatsOut(BaseModel):
    total: int
    open: int
    pending: int
    closed: int
    avg_first_response_seconds: float | None
    avg_resolution_seconds: float | None
    sla_attainment: float | None
    csat_average: float | None
    csat_count: int
    by_category: dict[str, BreakdownOut]
    by_priority: dict[str, BreakdownOut]
    opened_24h: int
    closed_24h: int
    opened_7d: int
    closed_7d: int
    oldest_open: list[TicketOut]

    @classmethod
    def of(cls, s: Stats, now: datetime) -> StatsOut:
        return cls(
            total=s.total, open=s.open, pending=s.pending, closed=s.closed,
            avg_first_response_seconds=s.avg_first_response.total_seconds() if s.avg_first_response else None,
            avg_resolution_seconds=s.avg_resolution.total_seconds() if s.avg_resolution else None,
            sla_attainment=s.sla_attainment, csat_average=s.csat_average, csat_count=s.csat_count,
            by_category={k: BreakdownOut.of(v) for k, v in s.by_category.items()},
            by_priority={k: BreakdownOut.of(v) for k, v in s.by_priority.items()},
            opened_24h=s.opened_24h, closed_24h=s.closed_24h, opened_7d=s.opened_7d, closed_7d=s.closed_7d,
            oldest_open=[TicketOut.of(t, now) for t in s.oldest_open],
        )  # fmt: skip


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["ticket TKT-B3X9C not found"])


class ErrorOut(BaseModel):
    error: ErrorDetail


class HookResult(BaseModel):
    action: Literal["opened", "updated", "resolved", "closed", "ignored"]
    ticket_id: str | None


class HookOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"results": [{"action": "opened", "ticket_id": "TKT-B3X9C"}]}]}
    )

    results: list[HookResult]
