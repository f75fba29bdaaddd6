"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, and a read port over the desk."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    mail: EmailMessage
    tls: bool
    login: str | None

    def header(self, name: str) -> str:
        return str(self.mail[name] or "")

    @property
    def text(self) -> str:
        """The text part, with the wire's CRLF line ends as \\n."""
        part = self.mail.get_body(("plain",))
        assert part is not None, "no text/plain part"
        return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]

    @property
    def html(self) -> str:
        part = self.mail.get_body(("html",))
        assert part is not None, "no text/html part"
        return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]


class Inbox:
    """aiosmtpd handler: every accepted message, parsed. The server runs in its own thread."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        mail = message_from_bytes(raw, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        with self._lock:
            self.received.append(
                Received(str(envelope.mail_from), list(envelope.rcpt_tos), mail, session.ssl is not None, login)
            )
        return "250 OK"

    def __len__(self) -> int:
        return len(self.received)

    def __getitem__(self, n: int) -> Received:
        return self.received[n]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(inbox: Inbox, port: int, **smtp_options: Any) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    return controller


class PasswordCheck:
    """aiosmtpd authenticator accepting one login/password pair (LOGIN and PLAIN)."""

    def __init__(self, login: str, password: str) -> None:
        self.pair = LoginPassword(login.encode(), password.encode())
        self.attempts = 0

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        self.attempts += 1
        ok = isinstance(data, LoginPassword) and data == self.pair
        return AuthResult(success=ok, handled=False, auth_data=data)  # handled=False: aiosmtpd answers 535
