"""The webhook sender: address checks, one POST to a real receiver, verdicts, backoff."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from cms.config import webhook_settings
from cms.delivery import webhooks
from cms.delivery.webhooks import RefusedUrlError, Verdict
from tests import receivers
from tests.servers import free_port


def resolver(*addresses: str):
    """A stand-in DNS that answers ``addresses`` for any host."""

    def resolve(host, port, type=0):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::",
        "ff02::1",
        "2001:db8::1",  # documentation
        # IPv6 forms that carry a loopback, private or reserved IPv4 address.
        "::ffff:10.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "::ffff:7f00:1",  # mapped, written in hex
        "::127.0.0.1",  # IPv4-compatible
        "::10.0.0.1",
        "::8.8.8.8",  # IPv4-compatible addresses are deprecated: none is public
        "64:ff9b::127.0.0.1",  # NAT64, well-known prefix
        "64:ff9b::7f00:1",
        "64:ff9b::10.1.2.3",
        "64:ff9b::169.254.169.254",
        "64:ff9b::192.168.0.1",
        "64:ff9b:1::7f00:1",  # NAT64 for local use (RFC 8215)
        "64:ff9b:1::808:808",  # local-use NAT64 is never public, whatever it embeds
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
        "2001:0:7f00:1:8000:63bf:3fff:fdd2",  # Teredo, server 127.0.0.1
    ],
)
def test_private_and_reserved_addresses_are_refused(address):
    with pytest.raises(RefusedUrlError, match="public addresses only"):
        webhooks.check_url(
            "https://hooks.example.com/x", allow_private=False, resolve=resolver(address)
        )


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
        "::ffff:93.184.215.14",  # mapped: reaches the public IPv4 address
        "64:ff9b::93.184.215.14",  # NAT64 (DNS64 answers this on an IPv6-only host)
        "2002:5db8:d70e::1",  # 6to4 of 93.184.215.14
    ],
)
def test_public_addresses_are_allowed_in_every_form(address):
    target = webhooks.check_url(
        "https://hooks.example.com/x", allow_private=False, resolve=resolver(address)
    )

    assert target.address == address


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:7f00:1]:8080/hook",
        "http://[::127.0.0.1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[64:ff9b:1::a00:1]/hook",
        "http://[2002:7f00:1::1]/hook",
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook",
        "http://2130706433/hook",  # 127.0.0.1 as one number
        "http://0x7f.1/hook",
        "http://127.1/hook",
        "http://[::1%25lo]/hook",
    ],
)
def test_literal_addresses_in_the_url_are_checked_as_the_system_resolves_them(url):
    """The real resolver: what it makes of each spelling is what is checked."""
    with pytest.raises(RefusedUrlError):
        webhooks.check_url(url, allow_private=False)


def test_a_host_with_any_private_address_is_refused():
    with pytest.raises(RefusedUrlError):
        webhooks.check_url(
            "https://hooks.example.com/x",
            allow_private=False,
            resolve=resolver("93.184.215.14", "10.0.0.1"),
        )


def test_a_public_address_is_allowed_and_pinned():
    target = webhooks.check_url(
        "https://hooks.example.com:8443/in?partner=1",
        allow_private=False,
        resolve=resolver("93.184.215.14"),
    )

    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.com", 8443)
    assert (target.path, target.address) == ("/in?partner=1", "93.184.215.14")


def test_private_addresses_are_allowed_when_configured():
    target = webhooks.check_url("http://127.0.0.1:9/x", allow_private=True)

    assert target.address == "127.0.0.1"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/x", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("http:///nohost", "no host"),
        ("https://user:pw@example.com/", "Credentials"),
        ("http://example.com:99999/", "Not a valid URL"),
        ("https://" + "a" * 2001, "Longer than"),
        ("https://no-such-host.invalid/", "does not resolve"),
    ],
)
def test_malformed_urls_are_refused(url, reason):
    with pytest.raises(RefusedUrlError, match=reason):
        webhooks.check_url(url, allow_private=True)


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (301, Verdict.DEAD),
        (400, Verdict.DEAD),
        (401, Verdict.DEAD),
        (404, Verdict.DEAD),
        (408, Verdict.RETRY),
        (410, Verdict.GONE),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (None, Verdict.RETRY),
    ],
)
def test_verdicts(status, verdict):
    assert webhooks.verdict(webhooks.Answer(status, None, 1)) == verdict


def test_backoff_doubles_with_jitter_in_the_upper_half_and_is_capped():
    for attempt, step in [(1, 10), (2, 20), (3, 40), (4, 80)]:
        low = webhooks.backoff(attempt, base=10, maximum=1000, rng=lambda: 0.0)
        high = webhooks.backoff(attempt, base=10, maximum=1000, rng=lambda: 0.999999)
        assert low == step / 2
        assert step / 2 < high < step
    assert webhooks.backoff(60, base=10, maximum=300, rng=lambda: 1.0) == 300
    assert webhooks.backoff(10_000, base=10, maximum=300, rng=lambda: 0.0) == 150


def test_backoff_honours_retry_after_up_to_the_maximum():
    assert webhooks.backoff(1, base=1, maximum=100, retry_after=30, rng=lambda: 0) == 30
    assert webhooks.backoff(1, base=1, maximum=100, retry_after=10**6, rng=lambda: 0) == 100


def test_retry_after_as_seconds_or_http_date():
    assert webhooks.parse_retry_after("120") == 120
    assert webhooks.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10
    assert webhooks.parse_retry_after("soon") is None
    assert webhooks.parse_retry_after(None) is None


def test_post_delivers_to_a_real_receiver(receiver):
    receiver.secret = "s"
    receiver.answer(204)
    headers = {"X-Newsroom-Timestamp": "1", "X-Newsroom-Signature": "v1=x"}

    answer, refused = webhooks.post(receiver.url, b"{}", headers, timeout=2, allow_private=True)

    assert not refused
    # The receiver refuses the bad signature: what matters here is the round trip.
    assert answer.status == 401
    assert answer.error is None
    [request] = receiver.requests
    assert request.path == "/hooks/newsroom"
    assert request.headers["User-Agent"] == webhooks.USER_AGENT


def test_post_reports_a_receiver_that_is_down():
    url = f"http://127.0.0.1:{free_port()}/hook"

    answer, refused = webhooks.post(url, b"{}", {}, timeout=1, allow_private=True)

    assert (answer.status, refused) == (None, False)
    assert "ConnectionRefused" in answer.error
    assert webhooks.verdict(answer) == Verdict.RETRY


def test_post_times_out_on_a_slow_receiver(receiver):
    receiver.delay = 1.0

    answer, _ = webhooks.post(receiver.url, b"{}", {}, timeout=0.2, allow_private=True)

    assert answer.status is None
    assert answer.error == "timed out after 0.2s"


def test_post_refuses_a_private_address_without_connecting(receiver):
    answer, refused = webhooks.post(receiver.url, b"{}", {}, timeout=1, allow_private=False)

    assert refused
    assert answer.error.startswith("refused: ")
    assert receiver.requests == []


# --- A total deadline per attempt -------------------------------------------------------------


def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_deadline(receiver):
    # A byte every 2 s: no single read waits 3 s, so only a deadline on the
    # whole attempt ends it; the answer would otherwise take about 100 s.
    receiver.drip = 2.0
    started = time.monotonic()

    answer, refused = webhooks.post(receiver.url, b"{}", {}, timeout=3, allow_private=True)

    took = time.monotonic() - started
    assert (answer.status, answer.error, refused) == (None, "timed out after 3s", False)
    assert 3 <= took < 20
    assert answer.duration_ms >= 3000
    assert webhooks.verdict(answer) == Verdict.RETRY


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """A receiver behind TLS with a self-signed certificate for localhost that we trust."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    with receivers.running(tls=server_side) as running:
        yield running


def test_the_deadline_holds_over_tls(tls_receiver):
    local = resolver("127.0.0.1")
    answer, _ = webhooks.post(
        tls_receiver.url, b"{}", {}, timeout=3, allow_private=True, resolve=local
    )
    assert answer.status == 401  # through TLS, certificate checked; the signature is not

    tls_receiver.drip = 2.0
    started = time.monotonic()
    answer, _ = webhooks.post(
        tls_receiver.url, b"{}", {}, timeout=3, allow_private=True, resolve=local
    )

    assert answer.error == "timed out after 3s"
    assert 3 <= time.monotonic() - started < 20


def test_a_tls_handshake_that_drips_is_cut_off_at_the_deadline():
    # A server that starts a TLS record and then sends a byte every 0.5 s.
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(4096)  # the client's hello
            for byte in b"\x16\x03\x03\x40\x00" + b"\x00" * 200:
                if stop.wait(0.5):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    server = threading.Thread(target=drip, daemon=True)
    server.start()
    url = f"https://localhost:{listener.getsockname()[1]}/hook"
    started = time.monotonic()
    try:
        answer, _ = webhooks.post(
            url, b"{}", {}, timeout=2, allow_private=True, resolve=resolver("127.0.0.1")
        )
    finally:
        stop.set()
        server.join(timeout=10)
        listener.close()

    assert answer.error == "timed out after 2s"
    assert 2 <= time.monotonic() - started < 20


# --- URLs a request cannot carry --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "encoded"),
    [
        ("http://127.0.0.1:9/hooks/café", "http://127.0.0.1:9/hooks/caf%C3%A9"),
        ("http://127.0.0.1:9/a b?x=1", "http://127.0.0.1:9/a%20b?x=1"),
        ("http://127.0.0.1:9/in?name=Zoë&x=1", "http://127.0.0.1:9/in?name=Zo%C3%AB&x=1"),
        ("http://127.0.0.1:9/in\x7fx", "http://127.0.0.1:9/in%7Fx"),
        ("http://127.0.0.1:9/\u200b", "http://127.0.0.1:9/%E2%80%8B"),
    ],
)
def test_a_url_a_request_line_cannot_carry_is_refused_with_its_encoded_form(url, encoded):
    with pytest.raises(RefusedUrlError, match="percent-encode them") as refused:
        webhooks.check_encodable(url)
    assert str(refused.value).endswith(encoded)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/in?partner=1&x=%C3%A9",
        "https://hooks.example.com/caf%C3%A9#fragments-are-not-sent",
        "https://bücher.example/hook",  # sent as xn--bcher-kva.example
        "http://[::1]:8080/hook",
    ],
)
def test_urls_a_request_can_carry_pass(url):
    webhooks.check_encodable(url)


def test_a_host_without_an_idna_form_is_refused():
    with pytest.raises(RefusedUrlError, match="IDNA"):
        webhooks.check_encodable("https://" + "ü" * 70 + ".example/hook")


def test_post_refuses_a_url_it_cannot_encode_without_connecting(receiver):
    answer, refused = webhooks.post(
        receiver.url + "/café", b"{}", {}, timeout=1, allow_private=True
    )

    assert refused
    assert answer.error.startswith("refused: The path or query has characters")
    assert receiver.requests == []


# --- Settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"CMS_WEBHOOK_TIMEOUT": "10", "CMS_WEBHOOK_LEASE_SECONDS": "15"}, "at least twice"),
        ({"CMS_WORKER_SENDERS": "0"}, "CMS_WORKER_SENDERS"),
    ],
)
def test_settings_that_cannot_work_stop_the_process(monkeypatch, variables, message):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        webhook_settings()


def test_the_lease_may_be_twice_the_timeout(monkeypatch):
    monkeypatch.setenv("CMS_WEBHOOK_TIMEOUT", "10")
    monkeypatch.setenv("CMS_WEBHOOK_LEASE_SECONDS", "20")
    assert webhook_settings()["CMS_WORKER_SENDERS"] == 4
