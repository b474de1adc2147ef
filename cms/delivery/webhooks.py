"""Sending one webhook: address checks, the HTTP POST, what the answer means, backoff.

No database and no Flask: the worker (``cms.delivery.operations``) prepares
the request, calls :func:`post` outside any transaction and records the
:class:`Answer`.

Server-side request forgery: a webhook URL is refused when its host resolves
to a loopback, private, link-local, shared, multicast or otherwise non-global
address (unless private addresses are allowed, as in tests and on-premises
set-ups). The check runs when the URL is set and again before every attempt,
and the request goes to the address that was checked, so a DNS answer that
changes between check and connect cannot redirect it. Redirects are not
followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import random
import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

USER_AGENT = "newsroom-cms-webhooks/1"
MAX_URL_LENGTH = 2000
#: Bytes of the answer read (and then ignored): receivers need not send a body.
_READ_LIMIT = 64 * 1024

Resolver = Callable[..., list]


class RefusedUrlError(ValueError):
    """A webhook URL that may not be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked webhook URL and the address the request will go to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


#: IPv4-compatible IPv6 addresses (``::a.b.c.d``, deprecated by RFC 4291): never a webhook.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
#: NAT64's well-known prefix (RFC 6052): the last 32 bits are the IPv4 address reached.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: NAT64 prefixes for local use (RFC 8215): translated inside the operator's own network.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def _is_global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def _is_public(address: str) -> bool:
    """Whether ``address``, and any IPv4 address an IPv6 one carries, is global unicast.

    An IPv6 address that embeds an IPv4 one reaches (or tunnels to) it: mapped
    (``::ffff:a.b.c.d``) and NAT64 (``64:ff9b::a.b.c.d``) addresses are judged by the
    IPv4 address, 6to4 (``2002::/16``) and Teredo (``2001::/32``, server and client) by
    both; IPv4-compatible addresses and local-use NAT64 are never public.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _is_global(ip)
    if ip in _IPV4_COMPATIBLE or ip in _LOCAL_NAT64:
        return False
    if ip.ipv4_mapped is not None:
        return _is_global(ip.ipv4_mapped)
    if ip in _NAT64:
        return _is_global(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    embedded = [*([ip.sixtofour] if ip.sixtofour else []), *(ip.teredo or ())]
    return _is_global(ip) and all(_is_global(inner) for inner in embedded)


def check_url(url: str, *, allow_private: bool, resolve: Resolver = socket.getaddrinfo) -> Target:
    """Return where ``url`` may be POSTed to.

    Raises :class:`RefusedUrlError` for a scheme other than http(s), credentials in
    the URL, a malformed port, a host that does not resolve, or (unless
    ``allow_private``) a host with any non-global address.
    """
    if len(url) > MAX_URL_LENGTH:
        raise RefusedUrlError(f"Longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedUrlError("Not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise RefusedUrlError("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise RefusedUrlError("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise RefusedUrlError("Credentials in the URL are not allowed; signatures authenticate.")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        answers = resolve(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise RefusedUrlError(f"The host {parts.hostname} does not resolve.") from None
    addresses = list(dict.fromkeys(answer[4][0] for answer in answers))
    if not addresses:
        raise RefusedUrlError(f"The host {parts.hostname} does not resolve.")
    if not allow_private:
        for address in addresses:
            if not _is_public(address):
                raise RefusedUrlError(
                    f"The host {parts.hostname} resolves to {address}, a loopback, private "
                    "or reserved address; webhooks go to public addresses only."
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def check_encodable(url: str) -> None:
    """Check that ``url`` can be written into an HTTP request as it stands.

    Raises :class:`RefusedUrlError` when its path or query holds what a request
    line cannot carry (a non-ASCII character, a space, a control character),
    naming the percent-encoded URL to use instead, or when its host has no
    IDNA form.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise RefusedUrlError("Not a valid URL.") from None
    try:
        # http.client sends an ASCII host as it is and any other in its IDNA form.
        host.encode("ascii" if host.isascii() else "idna")
    except UnicodeError:
        raise RefusedUrlError("The host name has no IDNA form.") from None
    if _UNSENDABLE.search(parts.path) or _UNSENDABLE.search(parts.query):
        encoded = parts._replace(
            path=quote(parts.path, safe=_PATH_SAFE), query=quote(parts.query, safe=_QUERY_SAFE)
        )
        raise RefusedUrlError(
            "The path or query has characters an HTTP request cannot carry (non-ASCII, "
            f"spaces or control characters); percent-encode them: {urlunsplit(encoded)}"
        )


#: Characters a request line cannot carry as they are (http.client refuses them).
_UNSENDABLE = re.compile(r"[^\x21-\x7e]")
#: What :func:`check_encodable` leaves as it is when it suggests an encoded URL.
_PATH_SAFE = "/%:@!$&'()*+,;="
_QUERY_SAFE = _PATH_SAFE + "?"


class _DeadlineSocket(socket.socket):
    """A socket whose every send and read gets only the time left before ``deadline``."""

    #: When the attempt must be over (``time.monotonic()``).
    deadline: float

    def recv_into(self, buffer: WriteableBuffer, nbytes: int = 0, flags: int = 0) -> int:
        self.settimeout(_time_left(self.deadline))
        return super().recv_into(buffer, nbytes, flags)

    def sendall(self, data: ReadableBuffer, flags: int = 0) -> None:
        self.settimeout(_time_left(self.deadline))
        super().sendall(data, flags)


class _DeadlineSSLSocket(ssl.SSLSocket):
    """:class:`_DeadlineSocket` over TLS."""

    deadline: float

    def recv_into(self, buffer: WriteableBuffer, nbytes: int | None = None, flags: int = 0) -> int:
        self.settimeout(_time_left(self.deadline))
        return super().recv_into(buffer, nbytes, flags)

    def sendall(self, data: ReadableBuffer, flags: int = 0) -> None:
        self.settimeout(_time_left(self.deadline))
        super().sendall(data, flags)


def _time_left(deadline: float) -> float:
    """Return the seconds left before ``deadline``; raise ``TimeoutError`` if none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the attempt's deadline passed")
    return left


def _connect(address: str, port: int, deadline: float) -> _DeadlineSocket:
    """Open a TCP connection to ``address`` that must be done with by ``deadline``."""
    plain = socket.create_connection((address, port), _time_left(deadline))
    sock = _DeadlineSocket(plain.family, plain.type, plain.proto, fileno=plain.detach())
    sock.deadline = deadline
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name resolves to now.

    Connecting, sending and every read share one deadline, so a peer that
    answers a byte at a time cannot stretch the attempt.
    """

    def __init__(self, target: Target, deadline: float) -> None:
        super().__init__(target.host, target.port, timeout=_time_left(deadline))
        self._address = target.address
        self._deadline = deadline

    def connect(self) -> None:
        self.sock = _connect(self._address, self.port, self._deadline)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Like :class:`_PinnedHTTPConnection`; the certificate is checked for the host name."""

    def __init__(self, target: Target, deadline: float) -> None:
        # The context http.client would make itself, kept where connect can use it.
        self._tls = ssl.create_default_context()
        self._tls.set_alpn_protocols(["http/1.1"])
        self._tls.sslsocket_class = _DeadlineSSLSocket
        super().__init__(target.host, target.port, timeout=_time_left(deadline), context=self._tls)
        self._address = target.address
        self._deadline = deadline

    def connect(self) -> None:
        sock = _connect(self._address, self.port, self._deadline)
        # The handshake is bounded as a whole by the socket's timeout.
        sock.settimeout(_time_left(self._deadline))
        tls = self._tls.wrap_socket(sock, server_hostname=self.host)
        assert isinstance(tls, _DeadlineSSLSocket)
        tls.deadline = self._deadline
        self.sock = tls


@dataclass(frozen=True, slots=True)
class Answer:
    """What one attempt got: a status, or an error before any status."""

    status: int | None
    error: str | None
    duration_ms: int
    #: Seconds the receiver asked us to wait (``Retry-After``), if it did.
    retry_after: float | None = None


class Verdict(StrEnum):
    """What an answer means for the delivery."""

    DELIVERED = "delivered"
    RETRY = "retry"
    #: Retrying cannot help (a 4xx, a redirect, a refused address).
    DEAD = "dead"
    #: 410: the endpoint no longer exists; the partner's webhook is paused.
    GONE = "gone"


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_private: bool,
    resolve: Resolver = socket.getaddrinfo,
) -> tuple[Answer, bool]:
    """POST ``body`` to ``url``; return the answer and whether the URL was refused.

    Never raises for network trouble: errors come back in the answer.
    ``timeout`` bounds the whole attempt: name resolution as measured,
    connecting, sending and reading the entire answer. A URL that resolves to
    a refused address, or that cannot be encoded into a request, is refused.
    """
    started = time.perf_counter()
    deadline = time.monotonic() + timeout

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        check_encodable(url)
        target = check_url(url, allow_private=allow_private, resolve=resolve)
    except RefusedUrlError as refused:
        return Answer(None, f"refused: {refused}"[:500], elapsed()), True
    pinned = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection: http.client.HTTPConnection | None = None
    try:
        connection = pinned(target, deadline)
        connection.request(
            "POST", target.path, body=body, headers={**headers, "User-Agent": USER_AGENT}
        )
        response = connection.getresponse()
        response.read(_READ_LIMIT)
        retry_after = parse_retry_after(response.getheader("Retry-After"))
        return Answer(response.status, None, elapsed(), retry_after), False
    except TimeoutError:
        return Answer(None, f"timed out after {timeout:g}s", elapsed()), False
    except (OSError, http.client.HTTPException) as error:
        description = f"{type(error).__name__}: {error}".strip().rstrip(":")
        return Answer(None, description[:500], elapsed()), False
    finally:
        if connection is not None:
            connection.close()


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (delta or HTTP date), or ``None``."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(min(int(value), 10**7))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def verdict(answer: Answer) -> Verdict:
    """Return what ``answer`` means: retry on network errors, 408, 429 and 5xx."""
    status = answer.status
    if status is None:
        return Verdict.RETRY
    if 200 <= status < 300:
        return Verdict.DELIVERED
    if status == 410:
        return Verdict.GONE
    if status in (408, 429) or status >= 500:
        return Verdict.RETRY
    return Verdict.DEAD


def backoff(
    attempt: int,
    *,
    base: float,
    maximum: float,
    retry_after: float | None = None,
    rng: Callable[[], float] = random.random,
) -> float:
    """Return the seconds to wait after failed attempt number ``attempt`` (1, 2, …).

    Exponential (``base``, twice that, four times …, at most ``maximum``) with "equal
    jitter": a random point in the upper half of the step, so that receivers
    coming back from an outage are not hit by every worker at once. A
    ``Retry-After`` the receiver sent is honoured up to ``maximum``.
    """
    step = min(maximum, base * 2.0 ** min(max(attempt - 1, 0), 62))
    delay = step / 2 + rng() * step / 2
    if retry_after is not None:
        delay = max(delay, min(retry_after, maximum))
    return delay
