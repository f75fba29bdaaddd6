"""Hands one mail to the SMTP server (aiosmtplib): one connection per mail, bounded by a timeout.

Errors propagate: the outbox dispatcher retries the event with backoff, so a mail server that is down or
refuses us delays a mail and never loses it. Only the hints an operator needs are logged here.
"""

from __future__ import annotations

import logging
import ssl
from email.headerregistry import Address
from email.message import EmailMessage

import aiosmtplib

from adapters.email.settings import SmtpSettings

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0  # seconds for the connection and for each SMTP command


class SmtpSender:
    """Sends through ``TICKETBOT_SMTP__HOST``: implicit TLS on port 465, else STARTTLS unless switched off;
    logs in when a username is set.

    ``tls_context`` replaces the system's trust store (a private CA, tests).
    """

    def __init__(
        self, settings: SmtpSettings, *, timeout: float = DEFAULT_TIMEOUT, tls_context: ssl.SSLContext | None = None
    ) -> None:
        if not settings.enabled:
            raise ValueError("TICKETBOT_SMTP__HOST is not set")
        self.settings = settings
        self.timeout = timeout
        self.tls_context = tls_context

    async def send(self, mail: EmailMessage, *, to: Address) -> None:
        """Send ``mail`` to ``to`` only: the envelope is explicit, never read from the headers."""
        s = self.settings
        try:
            await aiosmtplib.send(
                mail,
                sender=s.from_address.addr_spec,
                recipients=[to.addr_spec],
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password.get_secret_value() if s.password is not None else None,
                use_tls=s.implicit_tls,
                start_tls=False if s.implicit_tls else s.starttls,
                tls_context=self.tls_context,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            log.error(
                "the SMTP server %s refused the login of %r: check TICKETBOT_SMTP__USERNAME and __PASSWORD (%s)",
                s.host, s.username, exc.message,
            )  # fmt: skip
            raise
        except aiosmtplib.SMTPException as exc:
            if "STARTTLS extension not supported" in exc.message:
                log.error(
                    "the SMTP server %s:%s does not offer STARTTLS; use port 465 (implicit TLS) or, on a trusted "
                    "network only, TICKETBOT_SMTP__STARTTLS=false",
                    s.host, s.port,
                )  # fmt: skip
            raise
