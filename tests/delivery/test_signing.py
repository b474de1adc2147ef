"""Webhook signatures: what the sender signs is exactly what a receiver can verify."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from cms.delivery import signing

SECRET = "whsec_test-secret"
BODY = b'{"event":{"id":7}}'
NOW = 1_800_000_000


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert signing.signature(SECRET, NOW, BODY) == f"v1={expected}"


def test_signed_headers_carry_event_id_attempt_timestamp_and_signature():
    headers = signing.signed_headers(
        SECRET, event_id=7, event_kind="updated", attempt=2, timestamp=NOW, body=BODY
    )

    assert headers[signing.EVENT_ID_HEADER] == "7"
    assert headers[signing.EVENT_KIND_HEADER] == "updated"
    assert headers[signing.ATTEMPT_HEADER] == "2"
    assert headers[signing.TIMESTAMP_HEADER] == str(NOW)
    assert headers["Content-Type"] == "application/json"
    assert signing.verify(SECRET, str(NOW), headers[signing.SIGNATURE_HEADER], BODY, now=NOW + 10)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "now"),
    [
        ("whsec_other", str(NOW), BODY, NOW),  # wrong secret
        (SECRET, str(NOW), BODY + b" ", NOW),  # body changed
        (SECRET, str(NOW + 1), BODY, NOW),  # timestamp changed
        (SECRET, str(NOW), BODY, NOW + signing.DEFAULT_TOLERANCE + 1),  # replayed later
        (SECRET, "", BODY, NOW),
        (SECRET, None, BODY, NOW),
        (SECRET, "-5", BODY, NOW),
        (SECRET, "\uff11\uff12", BODY, NOW),  # non-ASCII digits
    ],
)
def test_verification_refuses_anything_else(secret, timestamp, body, now):
    header = signing.signature(SECRET, NOW, BODY)

    assert not signing.verify(secret, timestamp, header, body, now=now)


def test_one_valid_signature_among_several_is_enough():
    header = "v1=deadbeef, " + signing.signature(SECRET, NOW, BODY)

    assert signing.verify(SECRET, str(NOW), header, BODY, now=NOW)
    assert not signing.verify(SECRET, str(NOW), None, BODY, now=NOW)
    assert not signing.verify(SECRET, str(NOW), "v1=deadbeef", BODY, now=NOW)
