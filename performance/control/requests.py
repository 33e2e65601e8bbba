"""Requests: commands from OSC with their reply token and arrival time, and what became of them.

Owns the envelope a transport command travels in from the socket to the show (`Request`: the
command, the `ticket` the hub keeps the sender and address under to answer it, and the time
it was received on the control clock), the staleness rule (`STALE_CHECKED`: a GO, Back, cue
jump, playhead move, blackout, pause or chaos change older than `osc_stale_after` when it
reaches the show is refused `stale`, never applied late; Stop, Panic and HardStop always
apply, since a late stop is never worse than none), and `Handout`, the render side's book
of the commands handed to the show this frame, so the reply to each is sent after the show
applied or refused it (`settle`, with the sequencer's receipts); and `AnswerPipe`, the
render process's end of the pipe that takes those outcomes to the OSC child.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from performance.show.commands import (
    Back,
    Blackout,
    Command,
    Go,
    GotoCue,
    HoldCondition,
    Pause,
    Resume,
    SetChaosMode,
    SetPlayhead,
)
from performance.show.seqoptions import STALE, Outcome

STALE_CHECKED: tuple[type, ...] = (Go, Back, GotoCue, SetPlayhead, Blackout, Pause, Resume,
                                   SetChaosMode, HoldCondition)
"""Commands refused when they reach the show older than `osc_stale_after`."""

NOT_APPLIED = Outcome(False, "not applied")  # handed to a show that gave no outcome
ANSWERS_UNREAD_MAX = 32 * 1024  # answers are dropped while this many bytes are unread


@dataclass(frozen=True)
class Request:
    """One command from control: `ticket` (None: nobody waits for a reply, e.g. a fader's
    value) and `received`, the time it arrived on the control clock (None: unknown)."""

    command: Command
    ticket: int | None = None
    received: float | None = None


@dataclass(frozen=True)
class Settled:
    """What became of the request with `ticket` (what the hub answers its sender)."""

    ticket: int
    outcome: Outcome


def is_stale(request: Request, now: float, stale_after: float) -> bool:
    """Whether `request` is too old at `now` to be applied (see `STALE_CHECKED`)."""
    return (request.received is not None and isinstance(request.command, STALE_CHECKED)
            and now - request.received > stale_after)


class Handout:
    """The commands handed to the show and not yet settled, by identity (see the module)."""

    def __init__(self, stale_after: float) -> None:
        self.stale_after = stale_after
        self.stale = 0  # requests refused as stale
        self._open: list[tuple[Command, int]] = []

    def hand(self, requests: Iterable[Request], now: float,
             refused: list[Settled]) -> list[Command]:
        """The commands to hand to the show; stale ones go to `refused` instead."""
        out: list[Command] = []
        for request in requests:
            if is_stale(request, now, self.stale_after):
                self.stale += 1
                if request.ticket is not None:
                    refused.append(Settled(request.ticket, Outcome(False, STALE)))
                continue
            out.append(request.command)
            if request.ticket is not None:
                self._open.append((request.command, request.ticket))
        return out

    def settle(self, receipts: Iterable[tuple[Command, Outcome]],
               default: Outcome = NOT_APPLIED) -> list[Settled]:
        """Match the show's (command, outcome) receipts to the open requests (by identity);
        every open request is settled, with `default` when the show said nothing of it."""
        by_id = {id(command): outcome for command, outcome in receipts}
        settled = [Settled(ticket, by_id.get(id(command), default))
                   for command, ticket in self._open]
        self._open = []
        return settled

    def __len__(self) -> int:
        return len(self._open)


class AnswerPipe:
    """Sends lists of `Settled` to the OSC child and never waits: while the child has not
    read `ANSWERS_UNREAD_MAX` bytes (`answered`, a shared counter it adds to), or after it
    is gone, answers are dropped and counted."""

    def __init__(self, answered: Any) -> None:
        self.answered = answered
        self.conn: Connection | None = None
        self.sent = 0
        self.dropped = 0

    def open(self, conn: Connection) -> None:
        """A new child's pipe (its counter starts again)."""
        self.conn, self.sent = conn, 0
        self.answered.value = 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def send(self, settled: list[Settled]) -> None:
        if not settled or self.conn is None:
            return
        if self.sent - int(self.answered.value) >= ANSWERS_UNREAD_MAX:
            self.dropped += len(settled)  # the child is not reading
            return
        data = pickle.dumps(settled, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.conn.send_bytes(data)
            self.sent += len(data)
        except OSError:
            self.dropped += len(settled)  # the child is gone
