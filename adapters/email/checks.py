"""Checks the SMTP server is reachable and accepts ticketbot (``ticketbot doctor``): connect, greet, upgrade
to TLS as the sender will, and log in when a username is set. Nothing is sent."""

from __future__ import annotations

import ssl

import aiosmtplib

from adapters.email.settings import SmtpSettings
from core.checks import Check

TIMEOUT = 10.0


async def smtp_check(settings: SmtpSettings, *, tls_context: ssl.SSLContext | None = None) -> Check:
    where = f"{settings.host}:{settings.port}"
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.implicit_tls,
        start_tls=False if settings.implicit_tls else settings.starttls,
        tls_context=tls_context,
        timeout=TIMEOUT,
    )
    try:
        await client.connect()
        if settings.username:
            password = settings.password.get_secret_value() if settings.password is not None else ""
            await client.login(settings.username, password)
        await client.quit()
    except aiosmtplib.SMTPAuthenticationError as exc:
        return Check.fail("smtp", f"{where} refused the login of {settings.username!r} ({exc.code})",
                          "check TICKETBOT_SMTP__USERNAME and __PASSWORD")  # fmt: skip
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        reason = str(getattr(exc, "message", "") or exc or type(exc).__name__).splitlines()[0][:120]
        return Check.fail("smtp", f"cannot use {where} ({reason})",
                          "check TICKETBOT_SMTP__HOST / __PORT / __STARTTLS")  # fmt: skip
    finally:
        client.close()
    tls = "implicit TLS" if settings.implicit_tls else "STARTTLS" if settings.starttls else "no TLS"
    return Check.ok("smtp", f"{where} reachable ({tls}{', login accepted' if settings.username else ''})")
