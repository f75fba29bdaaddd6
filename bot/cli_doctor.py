"""``ticketbot doctor``: every check of the setup, without starting anything; one line per check.

The database (reachable, migrated), Slack (token, scopes against manifest.yml, the staff channel, who is
staff), Discord (token, intents, guild, staff role, the bot's permissions where it works), SMTP (reachable,
login) and the outbox (deliveries failing for longer than ``TICKETBOT_OUTBOX__DEAD_AFTER``). Exit status 1
when any check fails; ``--json`` prints ``{"ok", "checks": [{"name", "verdict", "message", "fix"}]}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from bot.cli import JSON, _dumps, _guarded, _settings, app
from bot.settings import Settings
from core.checks import Check, Verdict

MARKS = {Verdict.OK: "ok  ", Verdict.WARN: "warn", Verdict.FAIL: "FAIL"}


async def diagnose(settings: Settings) -> list[Check]:
    """Run every check that applies to ``settings``, in a fixed order."""
    checks = await _database(settings)
    if settings.slack.enabled:
        from slack_sdk.web.async_client import AsyncWebClient

        from adapters.slack.app import api_base
        from adapters.slack.checks import slack_checks

        assert settings.slack.bot_token is not None
        client = AsyncWebClient(
            token=settings.slack.bot_token.get_secret_value(), base_url=api_base(settings.slack.api_url)
        )
        checks += await slack_checks(client, settings.slack)
    else:
        checks.append(Check.ok("slack", "off (TICKETBOT_SLACK__BOT_TOKEN is not set)"))
    if settings.discord.enabled:
        from adapters.discord.client import check_discord

        checks += await check_discord(settings.discord)
    else:
        checks.append(Check.ok("discord", "off (TICKETBOT_DISCORD__TOKEN is not set)"))
    if settings.smtp.enabled:
        from adapters.email.checks import smtp_check

        checks.append(await smtp_check(settings.smtp))
    else:
        checks.append(Check.ok("smtp", "off (TICKETBOT_SMTP__HOST is not set): no email"))
    checks += _automation(settings)
    return checks


def _exists(path: str) -> bool:
    return Path(path).expanduser().exists()


async def _database(settings: Settings) -> list[Check]:
    from core.operations import snapshot
    from core.storage.database import SqlDatabase
    from core.storage.engine import build_engine, is_sqlite
    from core.storage.migrate import current_revision, head_revision

    url = settings.database_url
    if is_sqlite(url):
        path = url.partition(":///")[2]
        if path and path != ":memory:" and not path.startswith("file:") and not _exists(path):
            return [Check.warn("database", f"the SQLite file {path} does not exist yet",
                               "`ticketbot run` or `ticketbot migrate` creates and migrates it")]  # fmt: skip
    engine = build_engine(url)
    try:
        try:
            current = await current_revision(engine)
        except Exception as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
            return [Check.fail("database", f"cannot reach it ({first})", "check TICKETBOT_DATABASE_URL")]
        head = head_revision()
        if current != head:
            return [Check.fail("database", f"schema at {current or 'nothing'}, this version needs {head}",
                               "run `ticketbot migrate`")]  # fmt: skip
        checks = [Check.ok("database", f"reachable, schema at {head} (current)")]
        figures = await snapshot(SqlDatabase(engine), now=datetime.now(UTC), dead_after=settings.outbox.dead_after)
        checks.append(await _outbox(engine, figures.outbox, settings))
        return checks
    finally:
        await engine.dispose()


async def _outbox(engine: object, outbox: dict[str, tuple[int, int]], settings: Settings) -> Check:
    from core.storage.database import SqlDatabase

    pending = sum(n for n, _ in outbox.values())
    dead = {consumer: n for consumer, (_, n) in outbox.items() if n}
    if not dead:
        return Check.ok("outbox", f"{pending} event(s) waiting, no dead letters")
    db = SqlDatabase(engine)  # type: ignore[arg-type]
    worst = max(dead, key=lambda c: dead[c])
    error = await db.read(lambda uow: uow.operations.last_error(worst))
    after = f"{settings.outbox.dead_after.total_seconds() / 3600:g} h"
    listed = ", ".join(f"{n} to {c}" for c, n in sorted(dead.items()))
    return Check.fail(
        "outbox", f"dead letters (failing for over {after}): {listed}; last error: {(error or '?')[:120]}",
        "fix what the checks above name; the deliveries are retried, oldest first",
    )  # fmt: skip


def _automation(settings: Settings) -> list[Check]:
    checks = [
        Check.ok("api", f"on ({len(settings.api_tokens)} token(s))" if settings.api_tokens
                 else "off (TICKETBOT_API_TOKENS is not set): every /api route answers 404"),
        Check.ok("webhooks", "on (/hooks/ticket, /hooks/alertmanager, /hooks/grafana)" if settings.webhook_secret
                 else "off (TICKETBOT_WEBHOOK_SECRET is not set)"),
    ]  # fmt: skip
    watched = len(settings.slack.watch_channels) + len(settings.discord.watch_channel_ids)
    if settings.rules.keywords and not watched:
        fix = "set TICKETBOT_SLACK__WATCH_CHANNELS or TICKETBOT_DISCORD__WATCH_CHANNEL_IDS"
        checks.append(Check.warn("keyword rules", "keywords are set but no channel is watched", fix))
    elif settings.rules.keywords:
        checks.append(Check.ok("keyword rules", f"{len(settings.rules.keywords)} keyword(s) in {watched} channel(s)"))
    return checks


@app.command("doctor")
def doctor(as_json: bool = JSON) -> None:
    """Check the setup without starting: database, Slack, Discord, SMTP, outbox. Exit 1 when a check fails."""
    settings = _settings()
    checks = _guarded(lambda: diagnose(settings))
    failed = any(c.verdict is Verdict.FAIL for c in checks)
    if as_json:
        lines = [{"name": c.name, "verdict": c.verdict.value, "message": c.message, "fix": c.fix} for c in checks]
        typer.echo(_dumps({"ok": not failed, "checks": lines}))
    else:
        for c in checks:
            typer.echo(f"{MARKS[c.verdict]} {c.line}")
    if failed:
        raise typer.Exit(1)
