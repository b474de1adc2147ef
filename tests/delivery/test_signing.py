"""Webhook signatures: what the sender signs is exactly what a receiver can verify.

Standard Webhooks are verified with the ``standardwebhooks`` library, as a
partner would; the compatibility headers with the HMAC the guide documents.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from cms.delivery import signing

SECRET = "whsec_" + base64.b64encode(b"test-secret-bytes-32-long-......").decode()
OTHER = signing.new_secret()
BODY = b'{"event":{"id":7}}'
NOW = 1_800_000_000


def test_a_new_secret_is_whsec_and_32_bytes_of_standard_base64():
    secret = signing.new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert secret != signing.new_secret()


@pytest.mark.parametrize("secret", ["whsec_", "whsec_not base64!", "whsec_a-b_c"])
def test_a_secret_that_is_not_standard_base64_is_refused(secret):
    with pytest.raises(ValueError, match="secret"):
        signing.key_of(secret)


def test_standard_headers_verify_with_the_standardwebhooks_library():
    now = int(time.time())
    headers = signing.standard_headers([SECRET], event_id=57, timestamp=now, body=BODY)

    assert headers["webhook-id"] == "57"
    assert headers["webhook-timestamp"] == str(now)
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["Content-Type"] == "application/json"
    assert Webhook(SECRET).verify(BODY, headers) == {"event": {"id": 7}}


def test_the_standard_signature_is_base64_hmac_sha256_over_id_dot_timestamp_dot_body():
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, f"57.{NOW}.".encode() + BODY, hashlib.sha256).digest()

    assert signing.standard_signature(SECRET, "57", NOW, BODY) == (
        "v1," + base64.b64encode(digest).decode()
    )


def test_during_a_rotation_both_secrets_verify():
    now = int(time.time())
    headers = signing.standard_headers([OTHER, SECRET], event_id=57, timestamp=now, body=BODY)

    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(SECRET).verify(BODY, headers)
    assert Webhook(OTHER).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda h, b: (h, b + b" "), id="body changed"),
        pytest.param(lambda h, b: ({**h, "webhook-id": "58"}, b), id="another event id"),
        pytest.param(
            lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}, b),
            id="timestamp changed",
        ),
        pytest.param(
            lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),
            id="no signature",
        ),
    ],
)
def test_the_library_refuses_a_tampered_standard_webhook(tamper):
    headers = signing.standard_headers(
        [SECRET], event_id=57, timestamp=int(time.time()), body=BODY
    )
    headers, body = tamper(headers, BODY)

    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body, headers)


def test_the_library_refuses_a_replayed_standard_webhook():
    stale = int(time.time()) - 600
    headers = signing.standard_headers([SECRET], event_id=57, timestamp=stale, body=BODY)

    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(SECRET).verify(BODY, headers)


# --- The compatibility headers ------------------------------------------------------------


def test_the_compatibility_signature_is_hex_hmac_sha256_under_the_secrets_key():
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    expected = hmac.new(key, f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()

    assert signing.signature(SECRET, NOW, BODY) == f"v1={expected}"


def test_a_secret_carried_over_from_the_first_release_keeps_its_key():
    """The migration made secret S ``whsec_`` + base64(S): receivers keep S as the key."""
    first_release = "whsec_AbCdEf-_gh"
    carried = "whsec_" + base64.b64encode(first_release.encode()).decode()
    expected = hmac.new(first_release.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256)

    assert signing.signature(carried, NOW, BODY) == f"v1={expected.hexdigest()}"


def test_compatibility_headers_carry_event_id_attempt_timestamp_and_signature():
    headers = signing.signed_headers(
        [SECRET], event_id=7, event_kind="updated", attempt=2, timestamp=NOW, body=BODY
    )

    assert headers[signing.EVENT_ID_HEADER] == "7"
    assert headers[signing.EVENT_KIND_HEADER] == "updated"
    assert headers[signing.ATTEMPT_HEADER] == "2"
    assert headers[signing.TIMESTAMP_HEADER] == str(NOW)
    assert headers["Content-Type"] == "application/json"
    assert signing.verify(SECRET, str(NOW), headers[signing.SIGNATURE_HEADER], BODY, now=NOW + 10)
    assert "webhook-signature" not in headers


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "now"),
    [
        (OTHER, str(NOW), BODY, NOW),  # wrong secret
        (SECRET, str(NOW), BODY + b" ", NOW),  # body changed
        (SECRET, str(NOW + 1), BODY, NOW),  # timestamp changed
        (SECRET, str(NOW), BODY, NOW + signing.DEFAULT_TOLERANCE + 1),  # replayed later
        (SECRET, "", BODY, NOW),
        (SECRET, None, BODY, NOW),
        (SECRET, "-5", BODY, NOW),
        (SECRET, "\uff11\uff12", BODY, NOW),  # non-ASCII digits
    ],
    # Named, not derived from the values: the secrets are random, and pytest-xdist's
    # workers must collect the same tests.
    ids=[
        "wrong secret",
        "body changed",
        "timestamp changed",
        "replayed later",
        "empty timestamp",
        "no timestamp",
        "negative timestamp",
        "non-ASCII digits",
    ],
)
def test_compatibility_verification_refuses_anything_else(secret, timestamp, body, now):
    header = signing.signature(SECRET, NOW, BODY)

    assert not signing.verify(secret, timestamp, header, body, now=now)


def test_during_a_rotation_both_compatibility_signatures_are_sent():
    headers = signing.signed_headers(
        [OTHER, SECRET], event_id=7, event_kind="updated", attempt=1, timestamp=NOW, body=BODY
    )
    header = headers[signing.SIGNATURE_HEADER]

    assert signing.verify(SECRET, str(NOW), header, BODY, now=NOW)
    assert signing.verify(OTHER, str(NOW), header, BODY, now=NOW)
    assert not signing.verify(SECRET, str(NOW), "v1=deadbeef", BODY, now=NOW)
