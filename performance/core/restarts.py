"""When a watched child process is replaced: the one back-off and report-once rule.

Owns the policy the perception and OSC control processes share: a child in trouble (crashed,
hung, failed to start) is reported once per kind for the run, counted, and replaced after a
back-off that doubles while it keeps failing and resets once a child runs again. The owner
kills and spawns; this only says when, and what the operator is told. Time is the caller's
(`now` from the run's clock).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections import Counter
from enum import StrEnum


class Trouble(StrEnum):
    """Why a child was replaced (each kind is logged once per run)."""

    CRASHED = "crashed"  # it ended (a crash in native code, a kill)
    HUNG = "hung"  # it stopped answering, or sat on one piece of work too long
    FAILED = "failed"  # it could not start (a model that no longer loads, a port taken)


class RestartSchedule:
    """Back-off from `first_s` doubling to `max_s`; `what` names the child in messages."""

    def __init__(self, what: str, first_s: float, max_s: float,
                 log: logging.Logger | None = None) -> None:
        self.what = what
        self.first_s, self.max_s = first_s, max_s
        self.log = log or logging.getLogger(__name__)
        self.restarts = 0  # replacements started so far
        self.counts: Counter[str] = Counter()  # troubles by kind
        self.message: str | None = None  # what the operator sees until a child runs again
        self._backoff = first_s
        self._at: float | None = None
        self._reported: set[Trouble] = set()

    @property
    def pending(self) -> bool:
        """A replacement is scheduled and has not started yet."""
        return self._at is not None

    def trouble(self, kind: Trouble, detail: str, now: float) -> str:
        """Record trouble (logged the first time of its kind) and schedule a replacement."""
        self.message = f"{self.what} {kind.value} ({detail}); restarting"
        if kind not in self._reported:
            self._reported.add(kind)
            self.log.error("%s; the show goes on, further ones are counted", self.message)
        self.counts[kind.value] += 1
        self._at = now + self._backoff
        self._backoff = min(self._backoff * 2.0, self.max_s)
        return self.message

    def due(self, now: float) -> bool:
        """True once when the scheduled replacement should start now (counted)."""
        if self._at is None or now < self._at:
            return False
        self._at = None
        self.restarts += 1
        return True

    def running(self, verb: str = "running") -> None:
        """A child runs (again): the back-off resets and the trouble message clears."""
        self._backoff = self.first_s
        if self.restarts and self.message is not None:
            self.log.warning("%s %s again (restart %d)", self.what, verb, self.restarts)
        self.message = None

    def cancel(self) -> None:
        """Nothing is to be restarted any more (the owner stops)."""
        self._at = None


def life_trouble(alive: bool, exitcode: int | None, ready: bool, waited: float,
                 start_timeout: float, not_ready: str) -> tuple[Trouble, str] | None:
    """Whether a child is in trouble by its life alone: ended (CRASHED, with its exit code),
    or not ready `start_timeout` after it started (HUNG, `not_ready` says how); None: fine
    so far (its owner checks its own heartbeat next)."""
    if not alive:
        return Trouble.CRASHED, f"exit code {exitcode}"
    if not ready and waited > start_timeout:
        return Trouble.HUNG, not_ready
    return None


class Supervised(ABC):
    """An owner of a watched child: its restarts and current trouble, and starting the
    replacement when due (the owner sets `_schedule`, spawns and reports trouble)."""

    _schedule: RestartSchedule

    @abstractmethod
    def _spawn(self) -> None:
        """Start a child (raises OSError when the system cannot)."""

    @abstractmethod
    def _trouble(self, kind: Trouble, detail: str, now: float) -> None:
        """Report trouble and schedule the child's replacement."""

    def _replacing(self, now: float) -> bool:
        """While a replacement is scheduled: start it once it is due. True: a replacement
        is pending or just started (nothing else to watch this time)."""
        if not self._schedule.pending:
            return False
        if self._schedule.due(now):
            try:
                self._spawn()
            except OSError as exc:
                self._trouble(Trouble.FAILED, f"could not start again: {exc}", now)
        return True

    @property
    def restarts(self) -> int:
        """Children started to replace one in trouble."""
        return self._schedule.restarts

    @property
    def trouble(self) -> str | None:
        """What happened to the last child, until a new one runs."""
        return self._schedule.message
