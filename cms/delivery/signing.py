"""Webhook signatures: HMAC-SHA256 over the timestamp and the body. Pure.

The sender puts the Unix time in ``X-Newsroom-Timestamp`` and
``v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`` in
``X-Newsroom-Signature``. A receiver recomputes the HMAC over the raw body it
received, compares in constant time and refuses timestamps too far from its
clock, so that a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Newsroom-Signature"
TIMESTAMP_HEADER = "X-Newsroom-Timestamp"
EVENT_ID_HEADER = "X-Newsroom-Event-Id"
EVENT_KIND_HEADER = "X-Newsroom-Event-Kind"
ATTEMPT_HEADER = "X-Newsroom-Attempt"
SCHEME = "v1"
#: How far a receiver should let a timestamp be from its own clock, in seconds.
DEFAULT_TOLERANCE = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header value of ``body`` sent at ``timestamp``."""
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def signed_headers(
    secret: str, *, event_id: int, event_kind: str, attempt: int, timestamp: int, body: bytes
) -> dict[str, str]:
    """Return the headers of one webhook request carrying ``body``."""
    return {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: str(event_id),
        EVENT_KIND_HEADER: event_kind,
        ATTEMPT_HEADER: str(attempt),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    timestamp: str | None,
    signature_header: str | None,
    body: bytes,
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE,
) -> bool:
    """Return whether ``signature_header`` signs ``body`` at ``timestamp`` with ``secret``.

    ``now`` is the receiver's Unix time; a timestamp more than ``tolerance``
    seconds away from it is refused. The header may list several
    comma-separated signatures; one valid signature is enough.
    """
    if not timestamp or not signature_header or not timestamp.isascii():
        return False
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    expected = signature(secret, int(timestamp), body)
    return any(
        hmac.compare_digest(expected, candidate.strip())
        for candidate in signature_header.split(",")
    )
