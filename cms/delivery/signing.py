"""Webhook signatures: Standard Webhooks, and the first release's headers. Pure.

A partner's secret is ``whsec_`` + its key's bytes in standard base64, the form
Standard Webhooks libraries take. Both schemes sign with HMAC-SHA256 under
that key:

- **Standard Webhooks** (https://www.standardwebhooks.com/, the default):
  ``webhook-id`` (the event id, the same on every attempt), ``webhook-timestamp``
  (Unix seconds) and ``webhook-signature``: ``v1,<base64 HMAC(id + "." +
  timestamp + "." + body)>``, several separated by spaces during a secret's
  rotation. Receivers verify with a ``standardwebhooks`` library.
- **Compatibility** (per partner): ``X-Newsroom-Timestamp`` and
  ``X-Newsroom-Signature: v1=<hex HMAC(timestamp + "." + body)>``, several
  separated by commas, with ``X-Newsroom-Event-Id``, ``-Event-Kind`` and ``-Attempt``.

A receiver recomputes the HMAC over the raw body it received, compares in
constant time and refuses timestamps too far from its clock, so that a
captured request cannot be replayed later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from secrets import token_bytes

SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker, not a secret
#: Bytes of a new key: 256 random bits.
KEY_BYTES = 32

ID_HEADER = "webhook-id"
STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"

SIGNATURE_HEADER = "X-Newsroom-Signature"
TIMESTAMP_HEADER = "X-Newsroom-Timestamp"
EVENT_ID_HEADER = "X-Newsroom-Event-Id"
EVENT_KIND_HEADER = "X-Newsroom-Event-Kind"
ATTEMPT_HEADER = "X-Newsroom-Attempt"
SCHEME = "v1"
#: How far a receiver should let a timestamp be from its own clock, in seconds.
DEFAULT_TOLERANCE = 300


def new_secret() -> str:
    """Return a new secret: ``whsec_`` + 32 random bytes in standard base64."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(KEY_BYTES)).decode()


def key_of(secret: str) -> bytes:
    """Return the key bytes of ``secret`` (``whsec_`` + standard base64), as the libraries do.

    Raises ``ValueError`` for a secret that is not in that form.
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is whsec_ + standard base64") from None
    if not key:
        raise ValueError("a webhook secret may not be empty")
    return key


def standard_signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """Return one Standard Webhooks signature (``v1,<base64>``) of ``body``."""
    message = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), message, hashlib.sha256).digest()
    return f"{SCHEME},{base64.b64encode(digest).decode()}"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return one compatibility signature (``v1=<hex>``) of ``body`` sent at ``timestamp``."""
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(key_of(secret), message, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def standard_headers(
    secrets: Sequence[str], *, event_id: int, timestamp: int, body: bytes
) -> dict[str, str]:
    """Return the Standard Webhooks headers of a request carrying ``body``.

    One signature per secret in ``secrets`` (the current one first; the
    previous one too while a rotation overlaps).
    """
    webhook_id = str(event_id)
    return {
        "Content-Type": "application/json",
        ID_HEADER: webhook_id,
        STANDARD_TIMESTAMP_HEADER: str(timestamp),
        STANDARD_SIGNATURE_HEADER: " ".join(
            standard_signature(secret, webhook_id, timestamp, body) for secret in secrets
        ),
    }


def signed_headers(
    secrets: Sequence[str],
    *,
    event_id: int,
    event_kind: str,
    attempt: int,
    timestamp: int,
    body: bytes,
) -> dict[str, str]:
    """Return the compatibility (``X-Newsroom-*``) headers of a request carrying ``body``."""
    return {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: str(event_id),
        EVENT_KIND_HEADER: event_kind,
        ATTEMPT_HEADER: str(attempt),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: ",".join(signature(secret, timestamp, body) for secret in secrets),
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
    """Return whether a compatibility ``signature_header`` signs ``body`` at ``timestamp``.

    ``now`` is the receiver's Unix time; a timestamp more than ``tolerance``
    seconds away from it is refused. The header may list several
    comma-separated signatures; one valid signature is enough. (Standard
    Webhooks are verified with a ``standardwebhooks`` library.)
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
