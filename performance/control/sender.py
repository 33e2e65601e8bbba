"""`OscSender`: cue OSC messages out to lighting and sound desks, never blocking the caller.

The main loop calls `send(host, port, address, args)` with the messages from the
sequencer's outbox (targets already resolved by the cue list); they wait in a bounded queue
and a worker thread builds and sends them over UDP. A full queue refuses the message and
counts it in `dropped`. Failures are logged (rate limited) with the time of the injected
`clock`.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from performance.control.counters import DropCounter
from performance.control.wire import ArgValue, build_message
from performance.core.clock import Clock, MonotonicClock

log = logging.getLogger("performance.control")


@dataclass(frozen=True)
class OutMessage:
    """One message to send: where to, address and arguments."""

    host: str
    port: int
    address: str
    args: tuple[ArgValue, ...] = ()


class OscSender:
    """A worker thread with a bounded queue and one UDP socket."""

    def __init__(self, max_queue: int = 256, *, clock: Clock | None = None) -> None:
        self.clock: Clock = clock if clock is not None else MonotonicClock()
        self._queue: queue.Queue[OutMessage | None] = queue.Queue(max_queue)
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.sent = 0
        self.dropped = 0  # refused because the queue was full
        self.errors = 0  # could not be built or sent
        self.drops = DropCounter()  # rate-limited log of failures

    def start(self) -> None:
        """Open the socket and start the worker."""
        if self._thread is not None:
            return
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._thread = threading.Thread(target=self._run, name="osc-send", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Send what is queued (within `timeout`), then stop the worker and close the socket."""
        if self._thread is None:
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            log.warning("OSC sender: queue still full at stop; unsent messages dropped")
        self._thread.join(timeout)
        self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def send(self, host: str, port: int, address: str, args: Sequence[ArgValue] = ()) -> bool:
        """Queue one message; False (and counted) when the queue is full or it is invalid."""
        if not address.startswith("/") or not address.isprintable() or " " in address:
            self.errors += 1
            log.warning("OSC sender: bad address %r", address[:80])
            return False
        try:
            self._queue.put_nowait(OutMessage(host, int(port), address, tuple(args)))
        except queue.Full:
            self.dropped += 1
            return False
        return True

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            try:
                packet = build_message(item.address, item.args)
                assert self._sock is not None
                self._sock.sendto(packet, (item.host, item.port))
                self.sent += 1
            except (OSError, ValueError) as exc:
                self.errors += 1
                self.drops.drop("send_failed", f"{item.address} to {item.host}:{item.port}: {exc}",
                                self.clock.now())
