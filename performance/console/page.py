"""`Page`: what waits to be written to one open console page, and the task that writes it.

The cue list and the state are newest-wins slots (a page that reads slowly skips the ones it
missed), each picture kind one slot, everything else (hello, history, replies) a bounded
queue whose oldest message goes when it is full. No aiohttp here: the page's socket is
anything with `closed` and `send_str` (`server.py` hands in its WebSocket).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Protocol

from performance.control.access import SenderKey

PAGE_QUEUE = 64  # replies and history samples waiting for a slow page (oldest dropped)


class Socket(Protocol):
    """The part of a WebSocket a `Page` writes to."""

    @property
    def closed(self) -> bool: ...

    async def send_str(self, data: str) -> None: ...


class Page:
    """One open page: its socket, its sender key, whether it may see the show yet, and
    what waits to be written."""

    def __init__(self, ws: Socket, key: SenderKey, *, authenticated: bool = True) -> None:
        self.ws = ws
        self.key = key
        self.authenticated = authenticated  # False until a passcode console let it in
        self.cues: str | None = None
        self.state: str | None = None
        self.pictures: dict[str, str] = {}
        self.queue: deque[str] = deque(maxlen=PAGE_QUEUE)
        self.dropped = 0  # messages a slow page never got
        self.wake = asyncio.Event()

    @property
    def host(self) -> str:
        """The page's IP address."""
        return self.key[1]

    def push(self, text: str) -> None:
        """Queue one message (hello, history, a reply) to be sent in order; when
        `PAGE_QUEUE` already wait, the oldest is dropped (counted in `dropped`)."""
        if len(self.queue) == self.queue.maxlen:
            self.dropped += 1
        self.queue.append(text)
        self.wake.set()

    def set_cues(self, text: str) -> None:
        """Offer the newest cue list message; one not yet written is replaced."""
        if self.cues is not None:
            self.dropped += 1
        self.cues = text
        self.wake.set()

    def set_state(self, text: str) -> None:
        """Offer the newest state message; one not yet written is replaced (counted)."""
        if self.state is not None:
            self.dropped += 1
        self.state = text
        self.wake.set()

    def set_picture(self, kind: str, text: str) -> None:
        """Offer the newest picture of one kind; an older one of that kind not yet written
        is replaced."""
        self.pictures[kind] = text
        self.wake.set()

    async def write(self) -> None:
        """Send what waits (queue, cue list, state, pictures) until the page closes."""
        with contextlib.suppress(ConnectionError, RuntimeError, asyncio.CancelledError):
            while not self.ws.closed:
                await self.wake.wait()
                self.wake.clear()
                while self.queue:
                    await self.ws.send_str(self.queue.popleft())
                if self.cues is not None:
                    text, self.cues = self.cues, None
                    await self.ws.send_str(text)
                if self.state is not None:
                    text, self.state = self.state, None
                    await self.ws.send_str(text)
                for kind in list(self.pictures):
                    await self.ws.send_str(self.pictures.pop(kind))
