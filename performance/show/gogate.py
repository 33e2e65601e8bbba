"""`GoGate`: the one minimum-interval rule for GO presses (a double tap fires once).

The sequencer owns the gate (built from `SequencerOptions.min_go_interval`, as
`Sequencer.go_gate`). A press is *admitted* unless another was admitted less than
`min_interval` seconds before it; an admitted press is recorded, a refused one is not.

Who asks, and when:
- OSC control (the hub, handed the sequencer's gate) asks when a GO arrives, so it can reply
  "too soon"; an admitted press gets a press id, which rides in the `Go` command. When the
  sequencer applies that `Go` a frame later it *redeems* the id instead of asking again, so
  the press is checked once, at the time it was made.
- A GO without a (redeemable) press id (keys, AutoGo) and every Back are pressed through
  the gate by the sequencer when it applies them.
- OSC control in its own process (`control.process`) checks GOs with a gate of its own
  (same interval, its own clock) and the render process *vouches* for each GO it admitted
  when it drains it: recorded as a press without a second check and given an id to redeem,
  so GOs admitted apart but delivered in one frame are not refused "too soon". The presses
  made here (keys, AutoGo, Back: `presses` less the vouched ones) are told to the child's
  gate in turn.

All times must come from one clock, the one the sequencer's `now` comes from (the hub is
given the show's clock). Thread-safe: socket threads admit while the main loop applies.
"""

from __future__ import annotations

import threading

MAX_OPEN = 1024  # admitted press ids kept redeemable (more than any command queue holds)


class GoGate:
    """Admits GO presses at least `min_interval` seconds apart and remembers the open ids."""

    def __init__(self, min_interval: float) -> None:
        self.min_interval = float(min_interval)
        self._lock = threading.Lock()
        self._last: float | None = None  # time of the last admitted press
        self._before: float | None = None  # the one before it (for `withdraw`)
        self._last_id = 0
        self._open: dict[int, None] = {}  # admitted ids not yet redeemed, oldest first

    def admit(self, now: float) -> int | None:
        """Admit a press made at `now` for redeeming later: its press id (1, 2, ...), or None
        when it comes within `min_interval` of the last admitted press."""
        with self._lock:
            if not self._admit(now):
                return None
            self._last_id += 1
            self._open[self._last_id] = None
            while len(self._open) > MAX_OPEN:
                del self._open[next(iter(self._open))]
            return self._last_id

    @property
    def presses(self) -> int:
        """How many presses were admitted, pressed or vouched for so far."""
        with self._lock:
            return self._last_id

    def vouch(self, now: float) -> int:
        """Record a press another gate with this interval already admitted (the OSC
        process's) as made at `now`, without checking it; its press id, to redeem."""
        with self._lock:
            self._before, self._last = self._last, now
            self._last_id += 1
            self._open[self._last_id] = None
            while len(self._open) > MAX_OPEN:
                del self._open[next(iter(self._open))]
            return self._last_id

    def press(self, now: float) -> bool:
        """Admit a press made at `now` and use it at once (a key, AutoGo or Back)."""
        with self._lock:
            if not self._admit(now):
                return False
            self._last_id += 1  # the last press has no open id: none withdraws it
            return True

    def redeem(self, press: int) -> bool:
        """True (once) for an id `admit` gave out that was not withdrawn: the press was
        admitted already and must not be checked again."""
        with self._lock:
            if press not in self._open:
                return False
            del self._open[press]
            return True

    def withdraw(self, press: int) -> None:
        """Take back an admitted press that never became a command (a full queue): it can no
        longer be redeemed and, if it was the last press, it no longer counts as one."""
        with self._lock:
            if press not in self._open:
                return
            del self._open[press]
            if press == self._last_id:
                self._last, self._before = self._before, None

    def _admit(self, now: float) -> bool:
        if self._last is not None and now - self._last < self.min_interval:
            return False
        self._before, self._last = self._last, now
        return True
