"""Discord payloads → core values: who acts (and whether they are staff), attachments, idempotency keys."""

from __future__ import annotations

import discord

from core.model import Actor, Attachment

PLATFORM = "discord"
THREAD_LINK = "thread"  # Link.kind of a ticket's private thread (message_id = the pinned card)


def is_staff(user: discord.abc.User, staff_role_id: int | None) -> bool:
    """Staff = members holding the configured staff role (roles come with every interaction/message)."""
    if staff_role_id is None or not isinstance(user, discord.Member):
        return False
    return any(role.id == staff_role_id for role in user.roles)


def actor_of(user: discord.abc.User, staff_role_id: int | None) -> Actor:
    return Actor(
        platform=PLATFORM,
        user_id=str(user.id),
        name=user.display_name,
        is_staff=is_staff(user, staff_role_id),
    )


def attachments_of(message: discord.Message) -> tuple[Attachment, ...]:
    """Metadata only (URL, name, size, type): files stay on Discord's CDN."""
    return tuple(
        Attachment(name=a.filename, url=a.url, size=a.size, content_type=a.content_type) for a in message.attachments
    )


def interaction_key(interaction: discord.Interaction) -> str:
    """Idempotency key of an interaction: a redelivered or double-handled one maps to the same effect."""
    return f"discord:interaction:{interaction.id}"


def message_key(message: discord.Message) -> str:
    return f"discord:message:{message.id}"
