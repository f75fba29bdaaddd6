"""The composition root: settings → engine → desk → notifiers and adapters. Nothing runs at import time."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings, SettingsError
from core.checks import Check, Verdict, first_fatal
from core.desk import Desk
from core.health import HealthBoard, IncidentWatch
from core.lifecycle import Rules
from core.model import Priority
from core.outbox import Dispatcher
from core.ports import Clock, Database, Notifier, SystemClock
from core.rules import AutoTickets
from core.scheduler import Scheduler
from core.sla import BusinessHours, SlaPolicy
from core.storage.database import SqlDatabase
from core.storage.engine import build_engine, is_sqlite
from core.storage.migrate import current_revision, head_revision, is_current, upgrade
from core.timers import DigestPlan

log = logging.getLogger(__name__)


def sla_policy(settings: Settings) -> SlaPolicy:
    """The SLA policy from ``TICKETBOT_SLA__*`` (validated when the settings were read)."""
    hours = BusinessHours.parse(settings.sla.business_hours) if settings.sla.business_hours else None
    targets = {p: settings.sla.target(p) for p in Priority}
    return SlaPolicy(targets=targets, hours=hours, warn_fraction=settings.sla.warn_at)


def digest_plan(settings: Settings) -> DigestPlan:
    """When and where the digest goes: a channel per platform that is switched on and names one."""
    channels = {}
    if settings.slack.enabled and settings.digest.slack_channel:
        channels["slack"] = settings.digest.slack_channel
    if settings.discord.enabled and settings.digest.discord_channel_id:
        channels["discord"] = str(settings.digest.discord_channel_id)
    hour, minute = (int(part) for part in settings.digest.time.split(":"))
    return DigestPlan(time(hour, minute), ZoneInfo(settings.digest.timezone), channels)


def build_auto(settings: Settings, desk: Desk) -> AutoTickets:
    """The automatic-ticket rules from ``TICKETBOT_RULES__*`` and ``TICKETBOT_ALERTS__*``."""
    return AutoTickets(
        desk,
        keywords=settings.rules.keywords,
        cooldown=settings.rules.cooldown,
        priority_map=settings.alerts.priority_map,
        close_on_resolve=settings.alerts.close_on_resolve,
    )


def build_desk(settings: Settings, db: Database, *, clock: Clock | None = None, **kwargs: Any) -> Desk:
    rules = Rules(
        sla=sla_policy(settings),
        reopen_window=timedelta(days=settings.reopen_window_days),
        pending_on_staff_reply=settings.pending_on_staff_reply,
        stale_remind_after=settings.stale.remind_after,
        stale_close_after=settings.stale.close_after,
    )
    kwargs.setdefault("max_open_per_user", settings.open_limit)
    # Outbox consumers come from the configuration, not from what this process runs: a ticket opened by
    # `ticketbot ticket create` must still reach the Slack and Discord adapters of the running service.
    kwargs.setdefault("consumers", consumers_configured(settings))
    kwargs.setdefault("digest", digest_plan(settings))
    return Desk(db=db, clock=clock or SystemClock(), categories=tuple(settings.categories), rules=rules, **kwargs)


async def prepare_database(settings: Settings, engine: AsyncEngine) -> None:
    """SQLite files are migrated automatically; PostgreSQL must be migrated on purpose (``ticketbot migrate``)
    so that several replicas never race to change the schema."""
    if await is_current(engine):
        return
    if is_sqlite(settings.database_url):
        await upgrade(engine)
        return
    current, head = await current_revision(engine), head_revision()
    if current != head:
        raise SettingsError(
            f"the database schema is at {current or 'nothing'}, this version needs {head}: run `ticketbot migrate`"
        )


@dataclass
class Runtime:
    """Everything a running ticketbot holds; ``close()`` releases it."""

    settings: Settings
    db: SqlDatabase
    desk: Desk
    notifiers: list[Notifier] = field(default_factory=list)
    dispatcher: Dispatcher | None = None
    dispatcher_task: asyncio.Task[None] | None = None
    scheduler: Scheduler | None = None
    scheduler_task: asyncio.Task[None] | None = None
    background: list[asyncio.Task[Any]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    closers: list[Callable[[], Any]] = field(default_factory=list)
    failure: str | None = None  # why an adapter stopped on its own, if one did
    web_url: str | None = None  # where the web server listens, once started
    board: HealthBoard = field(init=False)  # each adapter's connection, as it reports it
    auto: AutoTickets = field(init=False)  # keyword rules, alerts, webhooks

    def __post_init__(self) -> None:
        self.board = HealthBoard(self.desk.clock)
        self.auto = build_auto(self.settings, self.desk)

    def add_notifier(self, notifier: Notifier) -> None:
        self.notifiers.append(notifier)
        if notifier.name not in self.desk.consumers:
            self.desk.consumers.append(notifier.name)

    def start_dispatcher(self) -> Dispatcher:
        self.dispatcher = Dispatcher(
            self.db, self.notifiers, clock=self.desk.clock, dead_after=self.settings.outbox.dead_after
        )
        self.desk.on_commit.append(self.dispatcher.wake)
        self.dispatcher_task = asyncio.create_task(self.dispatcher.run(self.stop), name="outbox")
        return self.dispatcher

    def start_scheduler(self) -> Scheduler:
        """The timers' loop (SLA reminders, stale tickets, the digest): its events leave through the dispatcher."""
        self.scheduler = Scheduler(self.desk)
        self.scheduler_task = asyncio.create_task(self.scheduler.run(self.stop), name="scheduler")
        return self.scheduler

    def start_automation(self) -> None:
        """The integration-failure watch (with a chat platform) and the housekeeping of the automatic rules."""
        if platforms_configured(self.settings):
            grace = self.settings.health.grace
            watch = IncidentWatch(self.auto, self.board, grace=grace)
            interval = min(5.0, max(0.2, grace.total_seconds() / 10))
            self.run_in_background("health", watch.run(self.stop, interval=interval))
        self.run_in_background("housekeeping", _housekeeping(self.auto, self.stop))

    def run_in_background(self, name: str, work: Any) -> None:
        """Run an adapter's main coroutine; if it ends by itself (a bad token…), stop ticketbot and say why."""
        task = asyncio.create_task(work, name=name)

        def ended(t: asyncio.Task[Any]) -> None:
            if self.stop.is_set() or t.cancelled():
                return
            exc = t.exception()
            self.failure = f"{name} stopped: {exc or 'it ended unexpectedly'}"
            log.error(self.failure, exc_info=exc)
            self.stop.set()

        task.add_done_callback(ended)
        self.background.append(task)

    async def close(self) -> None:
        """Shut down in order: finish the scheduler's tick and the delivery round in flight (what the tick fired
        is delivered now or by the next start), close adapters, release the database."""
        self.stop.set()
        if self.scheduler_task is not None:
            try:
                await asyncio.wait_for(self.scheduler_task, timeout=15)
            except TimeoutError:
                log.warning("the scheduler's tick did not finish in time; its timers stay due")
        if self.dispatcher_task is not None:
            try:
                await asyncio.wait_for(self.dispatcher_task, timeout=15)
            except TimeoutError:
                log.warning("outbox delivery did not finish in time; undelivered events stay queued")
        for closer in reversed(self.closers):
            try:
                result = closer()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("error while closing an adapter")
        if self.background:
            _, pending = await asyncio.wait(self.background, timeout=10)
            for task in pending:
                task.cancel()
        await self.db.dispose()


async def open_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    engine = build_engine(settings.database_url)
    try:
        await prepare_database(settings, engine)
    except BaseException:
        await engine.dispose()
        raise
    db = SqlDatabase(engine)
    return Runtime(settings=settings, db=db, desk=build_desk(settings, db, clock=clock))


def platforms_configured(settings: Settings) -> list[str]:
    """The chat platforms switched on (each is an outbox consumer; so is email when SMTP is set)."""
    return [name for name, on in (("slack", settings.slack.enabled), ("discord", settings.discord.enabled)) if on]


def consumers_configured(settings: Settings) -> list[str]:
    return platforms_configured(settings) + (["email"] if settings.smtp.enabled else [])


async def serve(settings: Settings, *, console: bool, console_actor: Any = None) -> None:
    """Run every configured adapter until SIGINT/SIGTERM (or the console's /quit), then shut down cleanly."""
    runtime = await open_runtime(settings)
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if runtime.stop.is_set():  # asked twice: stop at once
            os._exit(130)
        runtime.stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, on_signal)
    try:
        if console:
            from adapters.console.terminal import run_terminal

            await run_terminal(runtime, actor=console_actor)
        else:
            await start_adapters(runtime)
            log.info(
                "ticketbot running (%s); stop with Ctrl-C",
                ", ".join(platforms_configured(settings)) or "no chat platform",
            )
            await runtime.stop.wait()
    finally:
        await runtime.close()
        log.info("ticketbot stopped")
    if runtime.failure:
        raise AdapterFailed(runtime.failure)


async def _housekeeping(auto: AutoTickets, stop: asyncio.Event, every: float = 300.0) -> None:
    """Forget expired webhook signatures, cooldowns and idempotency keys every few minutes."""
    while not stop.is_set():
        try:
            await auto.purge()
        except Exception:
            log.exception("housekeeping failed; trying again later")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def database_problems(engine: AsyncEngine) -> list[str]:
    """Why the database keeps this process from being ready (``/readyz``): unreachable, or not migrated."""
    try:
        current = await current_revision(engine)
    except Exception as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        return [f"database unreachable: {first[:200]}"]
    head = head_revision()
    if current != head:
        return [f"database schema at {current or 'nothing'}, this version needs {head}: run `ticketbot migrate`"]
    return []


def web_services(runtime: Runtime) -> Any:
    """What the web server serves besides Slack's events: the API, webhooks, readiness and metrics."""
    from adapters.web.app import WebServices
    from bot.cli import version
    from core.operations import snapshot

    settings, desk = runtime.settings, runtime.desk

    async def figures() -> Any:
        return await snapshot(runtime.db, now=desk.clock.now(), dead_after=settings.outbox.dead_after)

    return WebServices(
        desk=desk,
        auto=runtime.auto,
        board=runtime.board,
        api_tokens=tuple(settings.api_tokens),
        webhook_secret=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
        readiness=lambda: database_problems(runtime.db.engine),
        snapshot=figures,
        version=version(),
    )


def stop_on_fatal(checks: list[Check]) -> None:
    """Log what the start-up checks found amiss; a fatal one stops ``ticketbot run`` with its line."""
    for check in checks:
        if check.verdict is not Verdict.OK and not check.fatal:
            log.warning("%s", check.line)
    fatal = first_fatal(checks)
    if fatal is not None:
        raise SettingsError(fatal.line)


class AdapterFailed(Exception):
    """An adapter stopped on its own (e.g. its token was refused); ``str()`` says which and why."""


async def start_adapters(runtime: Runtime) -> None:
    """Build every configured adapter, register its notifier, start it and the outbox dispatcher."""
    settings = runtime.settings
    if settings.smtp.enabled:
        from adapters.email.notifier import EmailNotifier

        runtime.add_notifier(EmailNotifier(runtime.desk.queries, settings.smtp, clock=runtime.desk.clock))
    if settings.discord.enabled:
        from adapters.discord.client import build_discord

        bot, notifier = build_discord(
            settings.discord,
            runtime.desk,
            digest_channel_id=settings.digest.discord_channel_id,
            auto=runtime.auto,
            health=runtime.board,
        )
        runtime.closers.append(bot.close)
        runtime.board.expect("discord")
        assert settings.discord.token is not None
        stop_on_fatal(await bot.preflight(settings.discord.token.get_secret_value()))  # logs in
        runtime.add_notifier(notifier)
        runtime.run_in_background("discord", bot.stay_connected())
    slack_handler = None
    if settings.slack.enabled:
        from adapters.slack.app import build_slack

        slack = build_slack(
            settings.slack,
            runtime.desk,
            digest_channel=settings.digest.slack_channel,
            auto=runtime.auto,
            health=runtime.board,
        )
        runtime.closers.append(slack.stop)
        runtime.board.expect("slack")
        stop_on_fatal(await slack.preflight())
        runtime.add_notifier(slack.notifier)
        await slack.start()  # Socket Mode connects here
        slack_handler = slack.request_handler
    from adapters.web.app import build_web_app
    from adapters.web.server import WebServer

    app = build_web_app(slack_handler=slack_handler, services=web_services(runtime))
    web = WebServer(app, host=settings.http.host, port=settings.http.port)
    try:
        await web.start()
    except (OSError, SystemExit) as exc:  # uvicorn exits when it cannot bind
        raise SettingsError(
            f"cannot listen on {settings.http.host}:{settings.http.port} (TICKETBOT_HTTP__HOST/__PORT): {exc}"
        ) from None
    runtime.closers.append(web.stop)  # closers run in reverse: the web server stops accepting first
    runtime.web_url = web.url
    served = ["/healthz", "/readyz", "/metrics"] + (["/slack/events"] if slack_handler else [])
    served += (["/api/v1"] if settings.api_tokens else []) + (["/hooks"] if settings.webhook_secret else [])
    log.info("web server on %s (%s)", web.url, ", ".join(served))
    runtime.start_dispatcher()
    runtime.start_scheduler()
    runtime.start_automation()
    gc.freeze()  # start-up garbage is permanent: keep full collections from stalling the loop under load
