"""Notification mails to a ticket's requester, built as ``EmailMessage``s (pure: no I/O, no clock).

Every mail has a plain-text and an HTML part rendered from the Jinja2 templates in ``templates/`` (HTML
autoescaped), the ticket id in the Subject (``[TKT-B3X9C] Printer on fire``) and threading headers, so a
mail client shows one ticket's mails as one conversation:

- the ticket-created mail's ``Message-ID`` is the thread root ``<TKT-B3X9C@domain>``;
- every later mail has ``Message-ID: <TKT-B3X9C.<event_id>@domain>`` and ``In-Reply-To``/``References``
  naming the root. Ids depend only on the ticket and the event, so a retried send carries the same id and
  the receiving side can drop a duplicate.

The domain is the ``From`` address's. User text (subject, names, bodies) never becomes a header line of its
own: header values are made one line first, and bodies only ever go into the MIME parts.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import jinja2

from adapters.email.addresses import mailbox_for, one_line
from adapters.email.settings import SmtpSettings
from core import texts
from core.model import Actor, Message, Status, Ticket

# where the requester can answer, by the platform they opened the ticket on
REPLY_WHERE = {
    "discord": "in your ticket's thread on Discord",
    "slack": "in your direct message with ticketbot in Slack",
}


@dataclass(frozen=True)
class Sender:
    """Who the mails come from (``From``, whose domain names the threads) and where answers go."""

    address: Address
    reply_to: Address | None = None

    @classmethod
    def from_settings(cls, settings: SmtpSettings) -> Sender:
        return cls(settings.from_address, settings.reply_to_address)

    @property
    def domain(self) -> str:
        try:
            return self.address.domain.encode("idna").decode("ascii")
        except UnicodeError:
            return _token(self.address.domain) or "localhost"


def recipient(ticket: Ticket) -> Address | None:
    """The requester's mailbox, or ``None`` when they gave no (usable) address."""
    return mailbox_for(ticket.requester.display, ticket.requester.email)


def thread_root_id(ticket_id: str, domain: str) -> str:
    """``<TKT-B3X9C@domain>``: the ticket-created mail's id, named by every later mail."""
    return f"<{_token(ticket_id)}@{domain}>"


def event_message_id(ticket_id: str, event_id: str, domain: str) -> str:
    """``<TKT-B3X9C.<event_id>@domain>``: one mail per event, the same id on every retry."""
    return f"<{_token(ticket_id)}.{_token(event_id)}@{domain}>"


# ---------------------------------------------------------------------------------------------- notices
def ticket_created(
    ticket: Ticket, *, description: Message | None, sender: Sender, now: datetime, acknowledgement: str | None = None
) -> EmailMessage:
    """We got your request: the acknowledgement that starts the mail thread (``acknowledgement``: when we usually
    answer, from ``core.render.acknowledgement``)."""
    return _mail(
        ticket, "created", sender, now, message_id=None, description=description, acknowledgement=acknowledgement
    )


def staff_reply(ticket: Ticket, message: Message, *, event_id: str, sender: Sender, now: datetime) -> EmailMessage:
    """Support answered publicly."""
    return _mail(ticket, "reply", sender, now, message_id=event_id, message=message, author=message.author)


def system_update(ticket: Ticket, message: Message, *, event_id: str, sender: Sender, now: datetime) -> EmailMessage:
    """A system message meant for the requester (not written by a person)."""
    return _mail(ticket, "reply", sender, now, message_id=event_id, message=message, author=None)


def status_changed(
    ticket: Ticket, *, old: Status, new: Status, by: Actor, event_id: str, sender: Sender, now: datetime
) -> EmailMessage:
    """Pending (we wait for you), back to Open, or reopened."""
    return _mail(ticket, "status", sender, now, message_id=event_id, old=old, new=new, by=by)


def ticket_closed(
    ticket: Ticket, *, reason: str | None, by: Actor, event_id: str, sender: Sender, now: datetime
) -> EmailMessage:
    """The ticket was closed, with the reason when one was given."""
    return _mail(
        ticket, "closed", sender, now, message_id=event_id,
        reason=(reason or "").strip() or None, by=by, by_requester=ticket.is_requester(by),
    )  # fmt: skip


def stale_reminder(
    ticket: Ticket,
    *,
    waiting_since: datetime | None,
    closes_at: datetime | None,
    event_id: str,
    sender: Sender,
    now: datetime,
) -> EmailMessage:
    """Support waits for an answer since ``waiting_since``; without one the ticket closes at ``closes_at``."""
    return _mail(ticket, "stale", sender, now, message_id=event_id, waiting_since=waiting_since, closes_at=closes_at)


# ---------------------------------------------------------------------------------------------- building
def _mail(
    ticket: Ticket, template: str, sender: Sender, now: datetime, *, message_id: str | None, **context: Any
) -> EmailMessage:
    to = recipient(ticket)
    if to is None:
        raise ValueError(f"{ticket.id} has no requester address to mail")
    text, html = _render(
        template,
        ticket=ticket,
        subject=one_line(ticket.subject),
        requester=one_line(ticket.requester.display),
        reply_where=REPLY_WHERE.get(ticket.requester.platform),
        answered_by_mail=sender.reply_to is not None,
        **context,
    )
    mail = EmailMessage()
    mail["Subject"] = f"[{_token(ticket.id)}] {one_line(ticket.subject)}"
    mail["From"] = sender.address
    mail["To"] = to
    if sender.reply_to is not None:
        mail["Reply-To"] = sender.reply_to
    mail["Date"] = format_datetime(now)
    root = thread_root_id(ticket.id, sender.domain)
    if message_id is None:
        mail["Message-ID"] = root
    else:
        mail["Message-ID"] = event_message_id(ticket.id, message_id, sender.domain)
        mail["In-Reply-To"] = root
        mail["References"] = root
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
    mail["X-Auto-Response-Suppress"] = "All"  # the same for Exchange/Outlook
    mail["X-Ticketbot-Ticket"] = _token(ticket.id)
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    return mail


def _render(name: str, **context: Any) -> tuple[str, str]:
    env = _environment()
    return env.get_template(f"{name}.txt").render(**context), env.get_template(f"{name}.html").render(**context)


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("adapters.email", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = texts.when
    env.filters["who"] = _who
    return env


def _who(actor: Actor | None) -> str:
    if actor is None or actor.same_person(Actor.system()):
        return "ticketbot"
    return one_line(actor.display)


def _token(text: str) -> str:
    """Only the characters a Message-ID's left part may safely hold."""
    return re.sub(r"[^A-Za-z0-9._-]", "", str(text))
