"""OSC control in its own process: receiving and checking never wait for the render's GIL.

Owns the render side of the OSC child (`control.child`; the child itself, its pipe and
its health: `control.life`). `OscProcess` runs the `OscServer` and `ControlHub` (receive,
parse, passcode, allow-list, rate limits, coalescing, the replies the hub answers itself)
in a spawned child (on the render's process, socket threads wait for the interpreter lock
behind every software-rendered frame) and gives the render process the `ControlPort`
interface. Requests (command, reply ticket, arrival time) come over a pipe, drained without
waiting once a frame; status and input ranges go the other way through shared memory,
newest wins.

Answers: `drain` refuses a request that reaches the show older than `stale_after` (the
child's clock has the render clock's origin when that is a `MonotonicClock`; with another
clock nothing is stale), `settle` matches the show's receipts to the requests handed out;
both send each `Settled` over a second pipe to the child, which answers the sender. Nothing
waits: answers are dropped (and counted) while `ANSWERS_UNREAD_MAX` bytes sit unread.

GO interval: the child checks GOs with a `GoGate` of the show's interval (to answer "too
soon" at once); `drain` vouches for each GO it admitted on the sequencer's gate
(`GoGate.vouch`), so two GOs admitted apart are never refused for arriving in one frame;
the show's own presses (keys) go to the child's gate with the status. Show mode: the
child reports it, the show-mode key sets it here and the child follows (control.showmode).

The child is watched on every `drain`: when it dies or its heartbeat stops for `hang_s`,
that is reported once per kind, it is killed, and a new one listens on the same ports
`restart_s` later (doubling up to `RESTART_MAX_S`); the show keeps running meanwhile.
Figures: bench/bench_osc.py and docs/osc.md.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import replace
from typing import cast

from performance.config import DEFAULTS, Settings
from performance.control.actions import ParamRange, ParamRanges
from performance.control.child import (
    OUTLINE_CAPACITY,
    ChildOptions,
    Downlink,
    Extra,
    Outline,
    Report,
)
from performance.control.feedback import RigStatus
from performance.control.hub import OSC_EVENTS_KEPT, OscEvent
from performance.control.life import ChildLife
from performance.control.options import HubOptions
from performance.control.requests import (
    NOT_APPLIED,
    AnswerPipe,
    Handout,
    Request,
    Settled,
    is_stale,
)
from performance.control.server import TCP_IDLE_S
from performance.control.shared import SharedLatest
from performance.control.showmode import LocalShowMode
from performance.core.clock import Clock, MonotonicClock
from performance.core.errors import ConfigError
from performance.core.mailbox import CommandQueue
from performance.core.restarts import RestartSchedule, Supervised, Trouble
from performance.show.commands import Command, Go, SetInput, ShowModeChanged
from performance.show.gogate import GoGate
from performance.show.seqoptions import Outcome

log = logging.getLogger("performance.control")

HANG_S = 5.0  # a child whose heartbeat stops this long is replaced
RESTART_S = 0.5  # first wait before a replacement child starts (doubles, up to RESTART_MAX_S)
RESTART_MAX_S = 10.0
START_TIMEOUT_S = 30.0  # how long `start()` waits for the first child to listen
STOP_STEP_S = 0.05


class OscProcess(Supervised):
    """`ControlHub` + `OscServer` in a spawned child, as a `ControlPort` (see the module).

    `go_gate` is the sequencer's gate and `clock` the show's (None: no GO interval, as the
    hub without a gate). Ports: None = off, 0 = any free port (kept across restarts);
    `udp_address`/`tcp_address` are known after `start()`; `tcp_idle_s`: a TCP connection
    that sends no packet this long is closed (control/server.py).
    """

    def __init__(
        self,
        options: HubOptions | None = None,
        *,
        host: str = DEFAULTS.osc_host,
        udp_port: int | None = DEFAULTS.osc_port,
        tcp_port: int | None = DEFAULTS.osc_tcp_port,
        reply_port: int = DEFAULTS.osc_reply_port,
        go_gate: GoGate | None = None,
        clock: Clock | None = None,
        hang_s: float = HANG_S,
        restart_s: float = RESTART_S,
        start_timeout: float = START_TIMEOUT_S,
        tcp_idle_s: float = TCP_IDLE_S,
        extra: Extra | None = None,
    ) -> None:
        self.options = options or HubOptions()
        self.extra = extra  # the web console, served by the child too (console/launch.py)
        self.served: tuple[tuple[str, int], tuple[str, int] | None] | None = None  # its
        # addresses (console, OSCQuery) once the first child listens
        self.tcp_idle_s = tcp_idle_s
        self.host = host
        self.udp_port, self.tcp_port, self.reply_port = udp_port, tcp_port, reply_port
        self.go_gate = go_gate
        self.clock: Clock = clock if clock is not None else MonotonicClock()
        self.udp_address: tuple[str, int] | None = None
        self.tcp_address: tuple[str, int] | None = None
        self._ctx = mp.get_context("spawn")
        self._life = ChildLife(self._ctx, hang_s, start_timeout)  # the child: life.py
        self._downlink = SharedLatest.create(self._ctx)
        self._outline = SharedLatest.create(self._ctx, OUTLINE_CAPACITY)
        self._outline_sent: Outline | None = None
        self._outline_warned = False
        self._local: CommandQueue[Command] = CommandQueue(self.options.queue_size)
        self._pending: list[Request] = []
        self._handout = Handout(self.options.stale_after)
        self._answers = AnswerPipe(self._ctx.RawValue(ctypes.c_longlong, 0))
        self._coalesced = 0
        self._vouched = 0  # GOs vouched for on the show's gate (the rest were made here)
        self._mode = LocalShowMode(self.options.show_mode)  # the key's changes: showmode.py
        self._status: RigStatus | None = None
        self._ranges: dict[str, ParamRange] | None = None
        self._warned_ranges = False
        self._stopping = False
        self._schedule = RestartSchedule("OSC control process", restart_s, RESTART_MAX_S, log)
        self._earlier: Counter[str] = Counter()  # counters of children that are gone
        self._counts: dict[str, int] = {}  # the running child's, as last sent
        self._events: deque[OscEvent] = deque(maxlen=OSC_EVENTS_KEPT)  # `take_events`

    @classmethod
    def from_settings(cls, settings: Settings, *, go_gate: GoGate | None = None,
                      clock: Clock | None = None, extra: Extra | None = None) -> OscProcess:
        """A process on the configured address and ports (port 0 in the settings: off)."""
        return cls(HubOptions.from_settings(settings), host=settings.osc_host,
                   udp_port=settings.osc_port or None, tcp_port=settings.osc_tcp_port or None,
                   reply_port=settings.osc_reply_port, go_gate=go_gate, clock=clock,
                   extra=extra)

    # --- life cycle ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether a child is alive now."""
        return self._life.running

    @property
    def pid(self) -> int | None:
        """The running child's process id (None between children)."""
        return self._life.proc.pid if self._life.proc is not None else None

    def start(self) -> None:
        """Start the child and wait until it listens; ConfigError names a port in use."""
        if self.running:
            return
        self._stopping = False
        self._schedule.cancel()
        self._spawn()
        life, conn = self._life, self._life.conn
        assert conn is not None
        while not life.ready:
            if not conn.poll(life.start_timeout):
                self._kill()
                raise ConfigError(f"OSC: the control process did not start in "
                                  f"{life.start_timeout:.0f} s")
            try:
                kind, payload = life.receive()
            except EOFError:
                code = life.proc.exitcode if life.proc is not None else None
                self._kill()
                raise ConfigError(f"OSC: the control process ended at start "
                                  f"(exit code {code})") from None
            if kind is Report.FAILED:
                self._kill()
                raise ConfigError(str(payload))
            self._on_report(kind, payload)
        log.info("OSC listening (own process): udp %s, tcp %s", self.udp_address,
                 self.tcp_address)

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the child to close its sockets and end (killed after `timeout`)."""
        self._stopping = True
        self._life.stop.value = True
        proc = self._life.proc
        for _ in range(max(1, int(timeout / STOP_STEP_S))):
            if proc is None or not proc.is_alive():
                break
            proc.join(STOP_STEP_S)
            self._pump()  # the child's last reports must never wait for a full pipe
        self._pump()
        self._retire()

    def __enter__(self) -> OscProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the ControlPort ----------------------------------------------------------------

    @property
    def show_mode(self) -> bool:
        """The live show-mode flag (OSC changes it in the child, the key here)."""
        return self._mode.on

    def put(self, item: Command) -> bool:
        """Queue a command from a local control (keyboard) behind the OSC ones."""
        if not self._mode.take(item):  # the show-mode key: set here now, the child follows
            return self._local.put(item)
        self._write_downlink()
        return True

    def drain(self) -> list[Command]:
        """Transport commands in arrival order, then the newest value of each parameter,
        then local commands; never waits. Watches the child (see the module)."""
        now = self.clock.now()
        self._pump()
        self._watch(now)
        got, self._pending = self._pending, []
        transports: list[Request] = []
        params: dict[str, Request] = {}
        refused: list[Settled] = []
        for request in got:
            command = request.command
            if isinstance(command, ShowModeChanged) and command.on:  # faders moved before
                transports.extend(params.values())  # the lock are applied before it
                params.clear()
            if isinstance(command, SetInput):
                if params.pop(command.name, None) is not None:  # newest value and position
                    self._coalesced += 1
                params[command.name] = request
            elif isinstance(command, Go) and command.press is not None \
                    and not is_stale(request, now, self._handout.stale_after):
                transports.append(replace(request, command=self._vouch(now)))
            else:
                transports.append(request)
        out = self._handout.hand([*transports, *params.values()], now, refused)
        self._answers.send(refused)
        out.extend(self._local.drain())
        return out

    def _vouch(self, now: float) -> Go:
        """A GO the child's gate admitted: vouched for on the show's gate, not checked again."""
        if self.go_gate is None:
            return Go()
        self._vouched += 1
        return Go(self.go_gate.vouch(now))

    def settle(self, receipts: Iterable[tuple[Command, Outcome]],
               default: Outcome = NOT_APPLIED) -> None:
        """Send the child what the show did with the commands `drain` handed out."""
        self._answers.send(self._handout.settle(receipts, default))

    def publish(self, status: RigStatus) -> None:
        """Offer the newest status to the child (newest wins); its cue names and rows go
        through their own block, and only when they changed."""
        sent = self._outline_sent
        if sent is None or sent.cues is not status.cues or sent.outline is not status.outline:
            self._share_outline(Outline(status.cues, status.outline))
        self._status = replace(status, cues=(), outline=())
        self._write_downlink()

    def _share_outline(self, outline: Outline) -> None:
        self._outline_sent = outline
        if self._outline.put(outline):
            return
        if not self._outline_warned:
            self._outline_warned = True
            log.warning("OSC: the show's %d cues do not fit the shared block; the console "
                        "and QLab queries see the first part of the list", len(outline.cues))
        cut = len(outline.cues)
        while cut > 1:
            cut //= 2
            if self._outline.put(Outline(outline.cues[:cut], outline.outline[:cut])):
                return

    def set_param_ranges(self, params: ParamRanges | None) -> None:
        """Declared inputs (`ParamRange`s by name); None accepts any finite value by name."""
        self._ranges = {name: ParamRange(*spec) for name, spec in params.items()} \
            if params is not None else None
        self._write_downlink()

    def take_events(self) -> list[OscEvent]:
        """The messages the child received (`hub.OscEvent`), oldest first; taken once."""
        out = list(self._events)
        self._events.clear()
        return out

    def counts(self) -> dict[str, int]:
        """The children's counters together, plus restarts and why (never waits)."""
        self._pump()
        total = self._earlier + Counter(self._counts)
        total.update(self._schedule.counts)
        if self._coalesced:
            total["coalesced"] += self._coalesced  # values that met in one drain here
        if self._answers.dropped:
            total["answers_dropped"] = self._answers.dropped
        if self.restarts:
            total["restarts"] = self.restarts
        return dict(total)

    # --- the child's life ---------------------------------------------------------------

    def _spawn(self) -> None:
        udp = self.udp_address[1] if self.udp_address is not None else self.udp_port
        tcp = self.tcp_address[1] if self.tcp_address is not None else self.tcp_port
        min_go = self.go_gate.min_interval if self.go_gate is not None else None
        origin = self.clock.origin if isinstance(self.clock, MonotonicClock) else None
        extra = self.extra
        if extra is not None and self.served is not None:
            extra = extra.rebind(*self.served)  # a replacement serves where the first did
        options = ChildOptions(replace(self.options, show_mode=self._mode.on), self.host,
                               udp, tcp, self.reply_port, min_go, origin, self.tcp_idle_s,
                               extra)
        self._write_downlink()
        self._life.spawn(options, self._downlink.handles, self._answers,
                         self._outline.handles)

    def _kill(self) -> None:
        self._life.kill()
        self._answers.close()
        self._handout.settle([])  # their senders are gone with the child: no answers
        self._pending = [replace(r, ticket=None) for r in self._pending]

    def _retire(self) -> None:
        """Kill the child and keep its counters with the earlier children's."""
        self._kill()
        self._earlier.update(self._counts)
        self._counts = {}

    def _pump(self) -> None:
        self._life.pump(self._on_report)

    def _on_report(self, kind: Report, payload: object) -> None:
        if kind is Report.BATCH:
            requests, mode, counts, seen = cast(
                tuple[list[Request], bool, dict[str, int] | None, int], payload)
            if not isinstance(self.clock, MonotonicClock):  # times of another clock
                requests = [replace(r, received=None) for r in requests]
            self._pending.extend(requests)
            self._mode.report(bool(mode), seen)
            if counts is not None:
                self._counts = dict(counts)
        elif kind is Report.COUNTS:
            self._counts = dict(cast(dict[str, int], payload))
        elif kind is Report.EVENTS:
            self._events.extend(cast(list[OscEvent], payload))
        elif kind is Report.READY:
            udp, tcp, served = cast(tuple[tuple[str, int] | None, tuple[str, int] | None,
                                          tuple[tuple[str, int], tuple[str, int] | None] |
                                          None], payload)
            self.udp_address, self.tcp_address = self.udp_address or udp, self.tcp_address or tcp
            self.served = self.served or served
            self._life.ready = True
            self._schedule.running("listening")
        elif kind is Report.FAILED:
            self._life.failed = str(payload)  # `_watch` replaces the child

    def _watch(self, now: float) -> None:
        away = self._life.away(now)
        if self._stopping or self._replacing(now):
            return
        trouble = self._life.trouble(now, away)
        if trouble is not None:
            self._trouble(*trouble, now)

    def _trouble(self, kind: Trouble, detail: str, now: float) -> None:
        """Replace the child: report the kind once, kill, restart after the back-off."""
        self._schedule.trouble(kind, detail, now)
        self._pump()  # what the child sent before it died still counts
        self._retire()

    def _write_downlink(self) -> None:
        local = self.go_gate.presses - self._vouched if self.go_gate is not None else 0
        if not self._downlink.put(Downlink(self._status, self._ranges, local, self._mode.wanted)):
            if not self._warned_ranges:
                self._warned_ranges = True
                log.warning("OSC: %d input ranges do not fit the shared block; any finite "
                            "value passes to the show (which clamps it)", len(self._ranges or {}))
            self._downlink.put(Downlink(self._status, None, local, self._mode.wanted))
