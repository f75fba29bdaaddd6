"""Mail addresses read strictly: one mailbox with a local part and a domain, or nothing."""

from __future__ import annotations

from email.errors import HeaderParseError
from email.headerregistry import Address, HeaderRegistry

_registry = HeaderRegistry()


def parse_mailbox(text: str) -> Address | None:
    """``"support@example.com"`` or ``"Support <support@example.com>"`` → its ``Address``; anything else
    (no domain, several addresses, a line break, a parse defect) → ``None``."""
    if not text or any(ch in text for ch in "\r\n\0"):
        return None
    try:
        header = _registry("to", text)
        addresses = header.addresses  # type: ignore[attr-defined]  # an AddressHeader for "to"
    except (HeaderParseError, ValueError, IndexError):  # the stdlib parser raises these on some garbage
        return None
    if header.defects or len(addresses) != 1:
        return None
    address = addresses[0]
    if not address.username or not address.domain:
        return None
    return address


def one_line(text: str) -> str:
    """Every run of whitespace (line breaks included) as one space, control characters dropped: text that is
    safe in a header."""
    kept = "".join(ch for ch in str(text or "") if ch.isprintable() or ch.isspace())
    return " ".join(kept.split())


def mailbox_for(name: str, addr_spec: str | None) -> Address | None:
    """The requester's mailbox with a display name that cannot break the header; ``None`` when the stored
    address is not one mailbox (nothing can be sent to it)."""
    parsed = parse_mailbox(addr_spec or "")
    if parsed is None or parsed.display_name:
        return None  # a bare address is expected; "Name <x@y>" stored as an email is not trusted either
    return Address(display_name=one_line(name), username=parsed.username, domain=parsed.domain)
