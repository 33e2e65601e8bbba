"""The answers owed to OSC senders, and waking the servers that send them.

Owns the replies the show's outcomes produced (`add`), taken once each by the server of the
sender's transport (`due`: the UDP and TCP socket threads, the web console's loop), and those
servers' wake-up calls (`watch`, `notify`), so that a server sleeps until it has something to
send. Thread-safe; no sockets here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from performance.control.access import SenderKey


class Outbox:
    """Replies waiting for their transport's server, and the servers to wake for them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: list[tuple[SenderKey, bytes]] = []
        self._watchers: list[Callable[[], None]] = []

    def add(self, sender: SenderKey, packet: bytes) -> None:
        """Owe `packet` to `sender` (call `notify` once the batch is in)."""
        with self._lock:
            self._replies.append((sender, packet))

    def watch(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Have `wake` called (from any thread) whenever replies are due; returns the call
        that stops watching."""
        with self._lock:
            self._watchers.append(wake)

        def unwatch() -> None:
            with self._lock:
                if wake in self._watchers:
                    self._watchers.remove(wake)

        return unwatch

    def notify(self) -> None:
        """Wake every watcher: replies are due."""
        with self._lock:
            watchers = list(self._watchers)
        for wake in watchers:
            wake()

    def due(self, transport: str) -> list[tuple[SenderKey, bytes]]:
        """The replies owed to senders of one transport ("udp", "tcp", "ws"), oldest first;
        each is taken once."""
        with self._lock:
            mine = [r for r in self._replies if r[0][0] == transport]
            self._replies = [r for r in self._replies if r[0][0] != transport]
        return mine
