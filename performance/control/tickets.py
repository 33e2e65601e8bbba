"""`Tickets`: the hub's book of transport commands waiting for the show's answer.

Owns the reply tickets: each transport command the hub queues gets one (`issue`), booked
with its sender, address, GO press and when it was queued (`book`) until the show's answer
takes it (`take`), or until it is forgotten: the oldest beyond `MAX_AWAITING`, or one the
show never answered for `AWAITING_EXPIRE_S` (its answer was lost with a child or a full
pipe), so it stops counting against its sender. One sender has at most
`MAX_WAITING_PER_SENDER` tickets booked (`busy`), so one flooding sender never fills the
queue ahead of another's GO. Not thread-safe: the hub calls it with its one lock held.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from typing import NamedTuple

from performance.control.access import SenderKey

MAX_AWAITING = 4096  # tickets waiting for the show's outcome (the oldest are forgotten)
AWAITING_EXPIRE_S = 10.0  # ... and a ticket the show never answered is forgotten after this
MAX_WAITING_PER_SENDER = 16  # transport commands of one sender waiting for the show at once


class Waiting(NamedTuple):
    """One booked ticket: who sent what, its GO press (None: not a GO), when it was queued."""

    sender: SenderKey
    address: str
    press: int | None
    queued: float


class Tickets:
    """Tickets awaiting the show's answer, oldest first, and how many each sender has."""

    def __init__(self) -> None:
        self._awaiting: OrderedDict[int, Waiting] = OrderedDict()
        self._waiting_by: Counter[SenderKey] = Counter()  # tickets awaiting, per sender
        self._issued = 0

    def busy(self, sender: SenderKey, now: float) -> bool:
        """Whether `sender` has `MAX_WAITING_PER_SENDER` tickets waiting at `now` (those
        waiting longer than `AWAITING_EXPIRE_S` are forgotten first)."""
        self._expire(now)
        return self._waiting_by[sender] >= MAX_WAITING_PER_SENDER

    def issue(self) -> int:
        """A new ticket number (booked only once its command is queued)."""
        self._issued += 1
        return self._issued

    def book(self, ticket: int, waiting: Waiting) -> None:
        """Wait for the show's answer to `ticket` (the oldest beyond `MAX_AWAITING` go)."""
        self._awaiting[ticket] = waiting
        self._waiting_by[waiting.sender] += 1
        while len(self._awaiting) > MAX_AWAITING:
            self._unwait(self._awaiting.popitem(last=False)[1].sender)

    def take(self, ticket: int) -> Waiting | None:
        """The booking of an answered ticket, taken once; None: not (or no longer) booked."""
        waiting = self._awaiting.pop(ticket, None)
        if waiting is not None:
            self._unwait(waiting.sender)
        return waiting

    def _unwait(self, key: SenderKey) -> None:
        left = self._waiting_by[key] - 1
        if left > 0:
            self._waiting_by[key] = left
        else:
            del self._waiting_by[key]

    def _expire(self, now: float) -> None:
        while self._awaiting:
            ticket, waiting = next(iter(self._awaiting.items()))
            if now - waiting.queued <= AWAITING_EXPIRE_S:
                return
            del self._awaiting[ticket]
            self._unwait(waiting.sender)
