"""Errors a user can cause. Each message is short, readable and safe to show as is."""


class TicketError(Exception):
    """Base of every error caused by user input; ``str(err)`` is the message for the user."""


class NotFound(TicketError):
    """The ticket (or other object) does not exist, or the actor may not know it exists."""


class InvalidTransition(TicketError):
    """The change is not allowed from the ticket's current state (e.g. closing a closed ticket)."""


class NotPermitted(TicketError):
    """The actor may not do this (a requester touching someone else's ticket, a non-staff staff action)."""


class InvalidInput(TicketError):
    """Malformed input: an empty subject, an unknown priority, a bad search query…"""


class LimitReached(TicketError):
    """A configured limit stops the action (e.g. too many open tickets for one user)."""
