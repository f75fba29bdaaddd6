"""The SMTP session itself: login, STARTTLS, and refusals that must raise (so the outbox retries)."""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from adapters.email import compose
from adapters.email.sender import SmtpSender
from core.model import Actor, Priority, Status, Ticket
from tests.e2e.email.conftest import smtp_settings
from tests.e2e.email.smtp import Inbox, PasswordCheck, free_port, start_server

# the tests without TLS still exercise AUTH; aiosmtpd warns about exactly that
NO_TLS_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ANN = Actor(platform="api", user_id="ann", name="Ann", email="ann@example.com")
TICKET = Ticket(
    id="TKT-B3X9C", subject="Printer on fire", category="Technical", priority=Priority.HIGH, status=Status.OPEN,
    requester=ANN, created_at=NOW, updated_at=NOW,
)  # fmt: skip
TO = compose.recipient(TICKET)


def a_mail() -> Any:
    settings = smtp_settings(1)
    return compose.ticket_created(TICKET, description=None, sender=compose.Sender.from_settings(settings), now=NOW)


@pytest.fixture
def server() -> Iterator[Any]:
    """``server(**aiosmtpd options)`` → (inbox, port); every server is stopped at the end."""
    started = []

    def start(**options: Any) -> tuple[Inbox, int]:
        inbox, port = Inbox(), free_port()
        started.append(start_server(inbox, port, **options))
        return inbox, port

    yield start
    for controller in started:
        controller.stop()


@NO_TLS_AUTH
async def test_login_with_username_and_password(server: Any) -> None:
    inbox, port = server(authenticator=PasswordCheck("bot", "s3cret"), auth_required=True, auth_require_tls=False)
    sender = SmtpSender(smtp_settings(port, username="bot", password="s3cret"))
    assert TO is not None
    await sender.send(a_mail(), to=TO)
    assert len(inbox) == 1 and inbox[0].login == "bot"


@NO_TLS_AUTH
async def test_a_refused_login_raises_and_names_the_settings(
    server: Any, caplog: pytest.LogCaptureFixture, expect_logged_errors: Any
) -> None:
    expect_logged_errors(r"refused the login")
    check = PasswordCheck("bot", "s3cret")
    inbox, port = server(authenticator=check, auth_required=True, auth_require_tls=False)
    assert TO is not None
    with (
        caplog.at_level(logging.ERROR, logger="adapters.email.sender"),
        pytest.raises(aiosmtplib.SMTPAuthenticationError),
    ):
        await SmtpSender(smtp_settings(port, username="bot", password="wrong")).send(a_mail(), to=TO)
    assert check.attempts >= 1 and len(inbox) == 0
    assert "TICKETBOT_SMTP__USERNAME" in caplog.text
    with pytest.raises(aiosmtplib.SMTPException):  # no login at all: the server refuses the mail
        await SmtpSender(smtp_settings(port)).send(a_mail(), to=TO)
    assert len(inbox) == 0


async def test_starttls_required_but_not_offered_raises(
    server: Any, caplog: pytest.LogCaptureFixture, expect_logged_errors: Any
) -> None:
    expect_logged_errors(r"does not offer STARTTLS")
    inbox, port = server()
    assert TO is not None
    with caplog.at_level(logging.ERROR, logger="adapters.email.sender"), pytest.raises(aiosmtplib.SMTPException):
        await SmtpSender(smtp_settings(port, starttls=True)).send(a_mail(), to=TO)
    assert len(inbox) == 0, "nothing goes out in the clear when STARTTLS is asked for"
    assert "TICKETBOT_SMTP__STARTTLS" in caplog.text


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_starttls_upgrades_before_login_and_mail(server: Any, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox, port = server(
        tls_context=server_tls, require_starttls=True, authenticator=PasswordCheck("bot", "s3cret"), auth_required=True
    )  # auth_require_tls stays on: the login only works after the upgrade
    sender = SmtpSender(
        smtp_settings(port, starttls=True, username="bot", password="s3cret"),
        tls_context=ssl.create_default_context(cafile=str(cert)),
    )
    assert TO is not None
    await sender.send(a_mail(), to=TO)
    assert len(inbox) == 1 and inbox[0].tls and inbox[0].login == "bot"
