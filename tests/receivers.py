"""A real webhook receiver on 127.0.0.1 for tests: verifies signatures, records, misbehaves.

It answers 200 by default; a test can make it answer other statuses, slowly,
a byte at a time, or not until released, and it refuses (401) any request
whose signature does not verify with its secret, as a partner's endpoint would:
Standard Webhooks with the ``standardwebhooks`` library, the compatibility
headers with ``cms.delivery.signing.verify``. It speaks HTTPS when given a TLS context.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from cms.delivery import signing


@dataclass
class Received:
    """One request the receiver got (recorded on arrival) and what it answers."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    status: int
    at: float = field(default_factory=time.monotonic)
    #: When the receiver was done answering (or found the sender gone), if it is.
    ended: float | None = None

    #: Which attempt this is: the compatibility header's, else counted by the receiver.
    attempt: int = 0

    @property
    def standard(self) -> bool:
        """Whether it came with Standard Webhooks headers (not the compatibility ones)."""
        return signing.ID_HEADER in {name.lower() for name in self.headers}

    @property
    def event_id(self) -> int:
        found = _event_id(self.headers)
        if found is None:
            raise KeyError("no event id header")
        return found

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


def _event_id(headers: dict[str, str]) -> int | None:
    """The event id a webhook request names (either scheme), if it names one."""
    for name, value in headers.items():
        if name.lower() in (signing.ID_HEADER, signing.EVENT_ID_HEADER.lower()):
            return int(value) if value.isdigit() else None
    return None


class Receiver:
    """A threaded HTTP server that plays a partner's webhook endpoint (HTTPS with ``tls``)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        #: The partner's webhook secret; requests that do not verify get 401.
        self.secret: str | None = None
        #: Status answered when nothing is scripted.
        self.status = 200
        #: Seconds to wait before answering.
        self.delay = 0.0
        #: Seconds between the bytes of the answer, when it drips (0: all at once).
        self.drip = 0.0
        self.requests: list[Received] = []
        self._script: deque[int] = deque()
        self._released = threading.Event()
        self._released.set()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._tls = tls
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        # A short poll interval: shutting down waits for the next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        if self._tls is not None:
            # The name its certificate is for; tests resolve it to 127.0.0.1.
            return f"https://localhost:{port}/hooks/newsroom"
        return f"http://{host}:{port}/hooks/newsroom"

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with ``statuses``, one each, then :attr:`status`."""
        with self._lock:
            self._script.extend(statuses)

    def hang(self) -> None:
        """Hold every request (unanswered) until :meth:`release`."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def wait_for(self, condition: Callable[[list[Received]], bool], timeout: float = 20) -> None:
        """Wait until ``condition(requests)`` holds; raise ``AssertionError`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self.requests):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"receiver: condition not met; got {self.summary()}")
                self._changed.wait(left)

    def summary(self) -> list[tuple[int, int, int]]:
        """``(event id, attempt, status answered)`` of every request so far."""
        return [(r.event_id, r.attempt, r.status) for r in self.requests]

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _respond(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        headers = dict(handler.headers.items())
        verified = self._verifies(headers, body)
        with self._lock:
            status = self._script.popleft() if self._script else self.status
        if not verified:
            status = 401
        received = Received(handler.path, headers, body, verified, status)
        compatibility = handler.headers.get(signing.ATTEMPT_HEADER, "")
        event_id = _event_id(headers)
        with self._changed:
            received.attempt = (
                int(compatibility)
                if compatibility.isdigit()
                else 1 + sum(1 for r in self.requests if _event_id(r.headers) == event_id)
            )
            self.requests.append(received)
            self._changed.notify_all()
        # Held (or slow) before answering, like a receiver stuck on its database.
        self._released.wait(timeout=60)
        if self.delay:
            time.sleep(self.delay)
        answer = f"HTTP/1.1 {status} Whatever\r\nContent-Length: 2\r\n\r\nok".encode()
        try:
            if self.drip:
                for byte in answer:
                    handler.wfile.write(bytes([byte]))
                    if self._stopped.wait(self.drip):
                        break
            else:
                handler.wfile.write(answer)
        except OSError:
            pass  # the sender gave up (timeout) or was killed
        finally:
            handler.close_connection = True
            with self._changed:
                received.ended = time.monotonic()
                self._changed.notify_all()

    def _verifies(self, headers: dict[str, str], body: bytes) -> bool:
        """Whether the request is signed with :attr:`secret`, as a partner would check it."""
        if self.secret is None:
            return False
        if signing.ID_HEADER in {name.lower() for name in headers}:
            try:
                Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError:
                return False
            return True
        return signing.verify(
            self.secret,
            headers.get(signing.TIMESTAMP_HEADER),
            headers.get(signing.SIGNATURE_HEADER),
            body,
            now=time.time(),
        )

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                receiver._respond(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextlib.contextmanager
def running(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """A receiver on a free loopback port until the block ends."""
    receiver = Receiver(tls).start()
    try:
        yield receiver
    finally:
        receiver.stop()
