"""The OSC process's child: the sockets, the hub, and the uplink to the render process.

Owns what runs in the spawned child of `control.process.OscProcess`: an `OscServer` (its
UDP and TCP threads) serving a `ControlHub` on the child's own monotonic clock, with a
`GoGate` of the show's interval when the show has cues; and the uplink loop on the child's
main thread. The uplink hands the hub's requests (commands with their reply ticket and
arrival time on the child's clock, which is the render process's when that is a
`MonotonicClock`: same origin) over a pipe: transport commands (and a
show-mode change) at once, parameter values at most every `PARAM_PERIOD_S` and only while
little is unread, so a fader flood coalesces here, newest wins, not in the pipe; nothing is
sent while `UNREAD_MAX` bytes are unread, so the pipe never fills and the uplink never
waits for a busy render process. It also takes the newest status and input ranges the
render process published (`SharedLatest`) with the GO presses the show took from its
keys and the show-mode key's changes (the hub follows them), counts a heartbeat, sends the
counters, and ends the child when the render process is gone (and the kernel ends it
with the render process, core.orphans). An answer thread reads
what the show did with each request (`Settled`, from the render process over a second
pipe) and has the hub answer its sender.
"""

from __future__ import annotations

import logging
import pickle
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from multiprocessing.connection import Connection
from typing import Any, Protocol

from performance.control.actions import ParamRange
from performance.control.feedback import RigStatus
from performance.control.hub import ControlHub
from performance.control.options import HubOptions
from performance.control.requests import Settled
from performance.control.server import TCP_IDLE_S, OscServer
from performance.control.shared import SharedHandles, SharedLatest
from performance.core.clock import MonotonicClock
from performance.core.errors import ConfigError
from performance.core.orphans import die_with_parent, leave_stop_signals_to_parent, parent_alive
from performance.show.gogate import GoGate

PARAM_PERIOD_S = 0.005  # parameter values leave at most 200 times a second
PARAM_UNREAD_MAX = 8 * 1024  # ... and wait while this many bytes sit unread in the pipe
UNREAD_MAX = 32 * 1024  # nothing leaves while this many bytes are unread (a pipe holds 64 KiB)
POLL_S = 0.02  # the uplink's longest sleep: status, ranges, heartbeat, counters
HELD_POLL_S = 0.002  # how often a held batch looks whether the render process read
COUNTS_S = 0.05  # counters sent this often when they changed (and with each batch)


class Report(StrEnum):
    """What the child sends over its pipe, each as one pickled (report, payload)."""

    READY = "ready"  # listening: (udp address or None, tcp address or None)
    FAILED = "failed"  # could not listen (the message says why)
    BATCH = "batch"  # (requests in the show's order, show mode, counters or None,
    #                   show-mode key changes taken: see control/showmode.py)
    COUNTS = "counts"  # the hub's counters (when they changed, and at the end)
    EVENTS = "events"  # messages received (hub.OscEvent list), for a recording


class ExtraRunning(Protocol):
    """A server the child runs beside the OSC sockets, once it listens."""

    @property
    def address(self) -> tuple[str, int]: ...

    @property
    def oscquery_address(self) -> tuple[str, int] | None: ...

    def stop(self) -> None: ...


class Extra(Protocol):
    """Something more the child serves with its hub: the web console (console/launch.py).
    Picklable; `start` raises ConfigError naming the address it cannot listen on."""

    def start(self, hub: ControlHub) -> ExtraRunning: ...

    def rebind(self, address: tuple[str, int],
               oscquery_address: tuple[str, int] | None) -> Extra:
        """The same on the addresses a first child got (a replacement listens there too)."""
        ...


@dataclass(frozen=True)
class Outline:
    """The status's long, rarely changing parts (the cue names and rows), shared apart from
    the status each frame and only when they change (a show's whole list, up to megabytes)."""

    cues: tuple[tuple[str, str], ...] = ()
    outline: tuple[Any, ...] = ()  # control.outline.CueRow


OUTLINE_CAPACITY = 16 * 1024 * 1024  # bytes of the outline's block: 22,000 cues fit


@dataclass(frozen=True)
class ChildOptions:
    """How the child listens and checks (picklable: it crosses at spawn)."""

    hub: HubOptions
    host: str
    udp_port: int | None
    tcp_port: int | None
    reply_port: int
    min_go_interval: float | None  # the show's GO interval; None: no gate (no cue list)
    clock_origin: float | None = None  # the render's MonotonicClock origin; None: own clock
    tcp_idle_s: float = TCP_IDLE_S  # a TCP connection without a packet this long is closed
    extra: Extra | None = None  # the web console, served by this child too


@dataclass(frozen=True)
class Downlink:
    """What the render process publishes for the child (newest wins)."""

    status: RigStatus | None
    ranges: dict[str, ParamRange] | None  # None: any finite value, clamped later
    local_presses: int = 0  # GO presses the show took from elsewhere (keys, AutoGo, Back)
    show_mode: tuple[int, bool] = (0, False)  # (show-mode key changes, the state they left)


def send_report(out: Connection, kind: Report, payload: object) -> int:
    """Send one report; its size in bytes (what the reader adds to `taken`)."""
    data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    out.send_bytes(data)
    return len(data)


class Uplink:
    """The child's main loop: hub -> pipe, shared status -> hub, heartbeat, counters."""

    def __init__(self, hub: ControlHub, out: Connection, downlink: SharedLatest,
                 taken: Any, beat: Any, outline: SharedLatest | None = None) -> None:
        self.hub = hub
        self.out = out
        self.downlink = downlink
        self.outline_block = outline
        self.outline = Outline()
        self.taken = taken  # bytes the render process has read (it writes, we read)
        self.beat = beat
        self.sent = 0
        self.sent_mode = (hub.show_mode, 0)  # show mode and key changes last reported
        self._last_params = -1.0
        self._counts: dict[str, int] = {}
        self._counts_at = -1.0
        self._local_presses: int | None = None  # None until the first downlink
        self.mode_changes = 0  # the render process's show-mode key changes followed
        self._downlink_lock = threading.Lock()  # the loop and the answer thread take it

    def step(self) -> None:
        """Sleep until something is due (at most `POLL_S`), then do what is due."""
        hub, now = self.hub, self.hub.clock.now()
        transports, params = hub.waiting()
        unread = self.sent - int(self.taken.value)
        if (transports or params) and unread >= PARAM_UNREAD_MAX:
            hub.urgent.wait(HELD_POLL_S)  # held: look again soon whether it was read
        elif params:  # a parameter batch is due at the end of its period, a GO at once
            hub.urgent.wait(max(0.0, self._last_params + PARAM_PERIOD_S - now))
        else:
            hub.wake.wait(POLL_S)
        hub.wake.clear()
        hub.urgent.clear()
        self.beat.value += 1
        self.take_downlink()
        now = hub.clock.now()
        self._send_commands(now)
        if now - self._counts_at >= COUNTS_S:
            self.send_counts(now)
            self.send_events()

    def send_events(self) -> None:
        """The messages received since the last time (dropped while the pipe is full)."""
        if self.hub.events and self.sent - int(self.taken.value) < UNREAD_MAX:
            self.sent += send_report(self.out, Report.EVENTS, self.hub.take_events())

    def take_downlink(self) -> None:
        """The newest status, ranges and show-mode key changes from the render process into
        the hub (each frame's loop; the answer thread too, before it answers)."""
        with self._downlink_lock:
            self._take_downlink()

    def _take_downlink(self) -> None:
        if self.outline_block is not None:
            fresh, outline = self.outline_block.take()
            if fresh and isinstance(outline, Outline):
                self.outline = outline
        fresh, value = self.downlink.take()
        if fresh and isinstance(value, Downlink):
            if value.status is not None:
                self.hub.publish(replace(value.status, cues=self.outline.cues,
                                         outline=self.outline.outline))
            self.hub.set_param_ranges(value.ranges)
            seen, self._local_presses = self._local_presses, value.local_presses
            gate = self.hub.go_gate
            if gate is not None and seen is not None and value.local_presses > seen:
                gate.press(self.hub.clock.now())  # a key's GO: an OSC GO now is too soon
            changes, wanted = value.show_mode
            if changes != self.mode_changes:  # the show-mode key: follow it
                self.mode_changes = changes
                self.hub.set_show_mode(wanted)

    def _send_commands(self, now: float) -> None:
        hub = self.hub
        transports, params = hub.waiting()
        with self._downlink_lock:  # the answer thread may be taking a key change just now
            mode = (hub.show_mode, self.mode_changes)
        unread = self.sent - int(self.taken.value)
        if unread >= UNREAD_MAX:
            return
        urgent = transports > 0 or mode != self.sent_mode
        params_due = params > 0 and unread < PARAM_UNREAD_MAX \
            and now - self._last_params >= PARAM_PERIOD_S
        if not urgent and not params_due:
            return
        requests = hub.take_requests()
        counts = self._changed_counts(now)  # as fresh as the commands they go with
        self.sent += send_report(self.out, Report.BATCH,
                                 (requests, mode[0], counts, mode[1]))
        self.sent_mode = mode
        if params:
            self._last_params = now

    def send_counts(self, now: float) -> None:
        """The counters, when they changed since the last time."""
        counts = self._changed_counts(now)
        if counts is not None:
            self.sent += send_report(self.out, Report.COUNTS, counts)

    def _changed_counts(self, now: float) -> dict[str, int] | None:
        self._counts_at = now
        counts = self.hub.counts()
        if counts == self._counts:
            return None
        self._counts = counts
        return counts


def answer_loop(hub: ControlHub, answers: Connection, answered: Any,
                refresh: Callable[[], None] = lambda: None) -> None:
    """Read what the show did with the requests (lists of `Settled`) until the pipe closes,
    counting the bytes read in `answered`, and have the hub answer each sender. `refresh`
    first takes the status the render process wrote before these answers (it publishes,
    then settles), so a query sent right after an `ok` sees the show as the reply says."""
    try:
        while True:
            data = answers.recv_bytes()
            answered.value += len(data)
            settled = pickle.loads(data)
            if isinstance(settled, Sequence):
                refresh()
                hub.answer(s for s in settled if isinstance(s, Settled))
    except (EOFError, OSError):
        pass  # the render process is gone, or closed its end


def child_main(options: ChildOptions, shared: SharedHandles, out: Connection, stop: Any,
               taken: Any, beat: Any, answers: Connection, answered: Any,
               parent_pid: int, outline: SharedHandles | None = None) -> None:
    """The child: listen (READY, or FAILED and end), then the uplink until told to stop or
    the render process `parent_pid` is gone, with the answer thread beside it."""
    die_with_parent(parent_pid, "essence-osc")  # first: a killed render process ends it
    leave_stop_signals_to_parent()  # Ctrl-C and hang-up are the render process's to handle
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    clock = MonotonicClock(options.clock_origin)
    gate = GoGate(options.min_go_interval) if options.min_go_interval is not None else None
    hub = ControlHub(options.hub, clock=clock, go_gate=gate)
    server = OscServer(hub, host=options.host, udp_port=options.udp_port,
                       tcp_port=options.tcp_port, reply_port=options.reply_port,
                       idle_timeout=options.tcp_idle_s)
    extra: ExtraRunning | None = None
    try:
        server.start()
        if options.extra is not None:
            extra = options.extra.start(hub)
    except ConfigError as exc:
        server.stop()
        send_report(out, Report.FAILED, str(exc))
        return
    uplink = Uplink(hub, out, SharedLatest(shared), taken, beat,
                    SharedLatest(outline) if outline is not None else None)
    threading.Thread(target=answer_loop, args=(hub, answers, answered, uplink.take_downlink),
                     name="osc-answers", daemon=True).start()
    served = (extra.address, extra.oscquery_address) if extra is not None else None
    try:
        uplink.sent += send_report(out, Report.READY,
                                   (server.udp_address, server.tcp_address, served))
        while not stop.value and parent_alive(parent_pid):
            uplink.step()
        uplink.send_counts(clock.now())
    except OSError:  # the pipe broke: the render process is gone
        pass
    finally:
        if extra is not None:
            extra.stop()
        server.stop()
