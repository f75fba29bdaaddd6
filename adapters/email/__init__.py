"""Email adapter: tells the requester by mail (aiosmtplib) what happens to their ticket.

Entry point for bootstrap: ``adapters.email.notifier.EmailNotifier(queries, settings.smtp)`` when
``settings.smtp.enabled``. The package itself imports nothing, so ``bot.settings`` can read
``adapters.email.settings`` without loading the SMTP client or the templates.
"""
