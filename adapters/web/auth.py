"""Who may call: bearer tokens for the REST API, HMAC signatures for the webhooks.

Tokens are compared in constant time, every configured one each time (no early exit reveals which matched).
A webhook is signed with ``X-Ticketbot-Timestamp`` (unix seconds) and ``X-Ticketbot-Signature:
sha256=<hex HMAC-SHA256 of "{timestamp}.{raw body}">``; a timestamp more than 5 minutes away is refused, and
the caller refuses a signature seen before. Grafana signs natively in its own form (bare hex of
``HMAC("{timestamp}:{raw body}")``, its header names configurable): ``/hooks/grafana`` accepts that too.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from adapters.web.errors import ApiError

TIMESTAMP_HEADER = "X-Ticketbot-Timestamp"
SIGNATURE_HEADER = "X-Ticketbot-Signature"
MAX_SKEW = 300  # seconds


class BearerTokens:
    def __init__(self, tokens: Sequence[str]) -> None:
        self._tokens = [t.encode() for t in tokens if t]

    def __bool__(self) -> bool:
        return bool(self._tokens)

    def check(self, authorization: str | None) -> None:
        """Raise 401 unless ``authorization`` is ``Bearer <one of the tokens>``."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("send Authorization: Bearer <token> (one of TICKETBOT_API_TOKENS)")
        given = token.strip().encode()
        matched = False
        for known in self._tokens:
            matched |= hmac.compare_digest(given, known)
        if not matched:
            raise _unauthorized("the bearer token is not one of TICKETBOT_API_TOKENS")


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header's value for a delivery (what senders compute; tests and the README use it)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float, *, grafana: bool = False
) -> str:
    """Check a delivery's signature and freshness; return the signature (the key of replay protection).

    Raises a 401 ``ApiError`` saying what is wrong; nothing is looked at before this passes.
    """
    if not timestamp or not signature:
        raise ApiError(401, "unsigned", f"sign the delivery: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required")
    text = timestamp.strip()
    if not text.isdigit():
        raise ApiError(401, "bad_timestamp", f"{TIMESTAMP_HEADER} must be unix seconds")
    if abs(now - int(text)) > MAX_SKEW:
        raise ApiError(401, "stale", "the timestamp is more than 5 minutes away: sign each delivery when you send it")
    given = signature.strip()
    expected = sign(secret, text, body)
    ok = hmac.compare_digest(given.encode(), expected.encode())
    if grafana and not ok:
        native = hmac.new(secret.encode(), f"{text}:".encode() + body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(given.lower().encode(), native.encode())
    if not ok:
        raise ApiError(401, "bad_signature", "the signature does not match the body (TICKETBOT_WEBHOOK_SECRET)")
    return f"{text}:{given.lower()}"
