"""Notification mails as built, before any SMTP: headers, threading ids, escaping, injection."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from adapters.email import compose
from adapters.email.settings import SmtpSettings
from core.model import Actor, Attachment, Message, Priority, Role, Status, Ticket

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SENDER = compose.Sender.from_settings(SmtpSettings(host="smtp", **{"from": "Support <support@Example.COM>"}))
SAM = Actor(platform="slack", user_id="U1", name="Sam", is_staff=True)


def ticket(subject: str = "Printer on fire", name: str = "Ann", email: str | None = "ann@example.com") -> Ticket:
    requester = Actor(platform="discord", user_id="1", name=name, email=email)
    return Ticket(
        id="TKT-B3X9C", subject=subject, category="Technical", priority=Priority.HIGH, status=Status.PENDING,
        requester=requester, created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def reply(body: str, attachments: tuple[Attachment, ...] = ()) -> Message:
    return Message(7, "TKT-B3X9C", SAM, Role.STAFF, body, NOW, attachments=attachments)


def reparsed(mail: EmailMessage) -> EmailMessage:
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_thread_ids_are_deterministic_and_use_the_from_domain() -> None:
    created = compose.ticket_created(ticket(), description=None, sender=SENDER, now=NOW)
    first = compose.staff_reply(ticket(), reply("a"), event_id="e1", sender=SENDER, now=NOW)
    again = compose.staff_reply(ticket(), reply("a"), event_id="e1", sender=SENDER, now=NOW)
    other = compose.staff_reply(ticket(), reply("a"), event_id="e2", sender=SENDER, now=NOW)
    assert created["Message-ID"] == "<TKT-B3X9C@Example.COM>" and created["In-Reply-To"] is None
    assert first["Message-ID"] == again["Message-ID"] == "<TKT-B3X9C.e1@Example.COM>"
    assert other["Message-ID"] == "<TKT-B3X9C.e2@Example.COM>"
    assert first["In-Reply-To"] == first["References"] == created["Message-ID"]
    assert compose.event_message_id("TKT-B3X9C", "a b>\r\nX: y", "example.com") == "<TKT-B3X9C.abXy@example.com>"


def test_every_notice_has_both_parts_and_the_id_in_the_subject() -> None:
    t = ticket()
    mails = [
        compose.ticket_created(t, description=None, sender=SENDER, now=NOW),
        compose.staff_reply(t, reply("hi"), event_id="1", sender=SENDER, now=NOW),
        compose.system_update(t, reply("auto"), event_id="2", sender=SENDER, now=NOW),
        compose.status_changed(t, old=Status.OPEN, new=Status.PENDING, by=SAM, event_id="3", sender=SENDER, now=NOW),
        compose.ticket_closed(t, reason="done", by=SAM, event_id="4", sender=SENDER, now=NOW),
        compose.stale_reminder(t, waiting_since=NOW, closes_at=None, event_id="5", sender=SENDER, now=NOW),
    ]
    for mail in mails:
        assert mail["Subject"] == "[TKT-B3X9C] Printer on fire"
        assert mail.get_body(("plain",)) is not None and mail.get_body(("html",)) is not None
        assert mail["Date"] == "Thu, 26 Nov 2026 12:00:00 +0000"
        assert mail["Reply-To"] is None
    assert "An update on ticket" in mails[2].get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_html_is_escaped_and_only_web_links_are_links() -> None:
    files = (Attachment("<x>.png", "https://cdn.example/x.png"), Attachment("evil", "javascript:alert(1)"))
    mail = compose.staff_reply(ticket(), reply('<img src=x onerror="alert(1)"> & co', files), event_id="1",
                               sender=SENDER, now=NOW)  # fmt: skip
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; co" in html and "<img" not in html
    assert '<a href="https://cdn.example/x.png">&lt;x&gt;.png</a>' in html
    assert "javascript:" not in html
    assert '<img src=x onerror="alert(1)"> & co' in text


@pytest.mark.parametrize(
    ("subject", "name"),
    [
        ("Help\r\nBcc: mallory@evil.example", "Ann"),
        ("Help", "Ann\r\nBcc: mallory@evil.example"),
        ("Help\nSubject: other\n\nbody", "Ann\x00\x1b"),
    ],
)
def test_user_text_never_becomes_a_header(subject: str, name: str) -> None:
    mail = reparsed(compose.ticket_created(ticket(subject, name), description=None, sender=SENDER, now=NOW))
    assert mail["Bcc"] is None
    assert len(mail.get_all("Subject") or []) == 1 and "\n" not in str(mail["Subject"])
    assert [a.addr_spec for a in mail["To"].addresses] == ["ann@example.com"]


@pytest.mark.parametrize("email", [None, "", "ann", "ann@", "a@b, c@d", "Ann <ann@example.com>", "a@b\r\nBcc: c@d"])
def test_no_usable_address_means_no_recipient(email: str | None) -> None:
    assert compose.recipient(ticket(email=email)) is None
    with pytest.raises(ValueError, match="no requester address"):
        compose.ticket_created(ticket(email=email), description=None, sender=SENDER, now=NOW)


def test_closing_by_the_requester_says_you() -> None:
    t = ticket()
    mail = compose.ticket_closed(t, reason=None, by=t.requester, event_id="1", sender=SENDER, now=NOW)
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "closed by you" in text and "Reason" not in text


def test_the_email_adapter_imports_neither_bot_nor_storage() -> None:
    from pathlib import Path

    from tests.unit.test_boundaries import imported_modules

    package = Path(compose.__file__).parent
    names = {name for path in package.glob("*.py") for name in imported_modules(path)}
    assert "core.events" in names and "aiosmtplib" in names  # the check reads real imports
    assert not {n for n in names if n.split(".")[0] == "bot" or n.startswith(("core.storage", "core.desk"))}
