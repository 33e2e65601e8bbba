"""Single-slot 'newest value wins' mailboxes used to hand data between threads."""

from __future__ import annotations

import threading
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Holds only the newest value; a put overwrites what nobody took.

    Producers never block and never queue, so latency cannot grow. `dropped` counts values
    that were overwritten before anyone took them.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._value: T | None = None
        self._version = 0
        self._taken_version = 0
        self.dropped = 0
        self.closed = False

    def put(self, value: T) -> None:
        """Offer a new value, replacing an untaken one."""
        with self._cond:
            if self._version != self._taken_version:
                self.dropped += 1
            self._value = value
            self._version += 1
            self._cond.notify_all()

    def peek(self) -> T | None:
        """The newest value, taken or not (never blocks). None until the first put."""
        with self._cond:
            return self._value

    def take(self, timeout: float | None = None) -> T | None:
        """Wait for a value not taken yet and return it; None on timeout or when closed."""
        with self._cond:
            if not self._cond.wait_for(
                lambda: self._version != self._taken_version or self.closed, timeout
            ):
                return None
            if self._version == self._taken_version:
                return None
            self._taken_version = self._version
            return self._value

    def close(self) -> None:
        """Wake every waiter; later takes return None once the last value is taken."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class CommandQueue(Generic[T]):
    """A bounded, thread-safe queue of commands from control threads to the main loop.

    `put` never blocks: when the queue is full the command is refused and counted, so a
    flood from one controller cannot grow memory or stall a socket thread. The main loop
    takes everything waiting with `drain()` between frames.
    """

    def __init__(self, maxsize: int = 1024) -> None:
        self._lock = threading.Lock()
        self._items: list[T] = []
        self.maxsize = maxsize
        self.refused = 0

    def put(self, item: T) -> bool:
        """Queue `item`; False (and counted in `refused`) when the queue is full."""
        with self._lock:
            if len(self._items) >= self.maxsize:
                self.refused += 1
                return False
            self._items.append(item)
            return True

    def drain(self) -> list[T]:
        """Everything queued so far, oldest first; the queue is empty afterwards."""
        with self._lock:
            items, self._items = self._items, []
            return items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class CommandSink(Protocol[T]):
    """Where control puts commands and the main loop drains them (a CommandQueue, or the OSC
    hub, which adds coalesced parameter values behind the queued transport commands)."""

    def put(self, item: T) -> bool:
        """Offer one command; False when it was refused (full)."""
        ...

    def drain(self) -> list[T]:
        """Everything waiting, in the order the show should apply it."""
        ...
