"""`ControlHub`: where OSC packets become commands, replies and feedback (no sockets here).

Socket threads call `handle_packet()` and send the replies it returns; the main loop calls
`drain()` between frames. Transport commands go through the bounded `CommandQueue` in
arrival order, each a `Request` with a reply ticket, and are answered once the show applied
or refused them (`settle`/`answer`; replies.py says what each status means); parameter
values are coalesced newest-wins, so a fader flood never pushes a GO out. Refusals are
counted by kind and logged at most once per kind per interval (`DropCounter`); a command
aimed at a cue the list lacks is refused here (cuecheck.py) and one sender has at most
`MAX_WAITING_PER_SENDER` commands waiting (tickets.py). Answers wait in outbox.py; options
are options.py's; docs/osc.md has the whole protocol. The minimum GO interval is the
sequencer's `GoGate`, asked here on the injected `clock` (the show's); an admitted GO is
queued with its press id so the sequencer does not check it again.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import replace

from performance.control.access import (
    CONNECT_FIRST,
    AccessPolicy,
    ConnectResult,
    SenderKey,
    Session,
)
from performance.control.actions import (
    AddressError,
    Ignored,
    ParamRanges,
    ParamSet,
    SessionOp,
    SessionOpKind,
    Transport,
)
from performance.control.addresses import param_command, resolve
from performance.control.counters import DropCounter
from performance.control.cuecheck import KnownCues
from performance.control.feedback import RigStatus, SubscriberFeedback
from performance.control.options import HubOptions
from performance.control.outbox import Outbox
from performance.control.qlab import QLAB_OPS, QLAB_PUSHES
from performance.control.replies import (
    DENIED,
    error_reply,
    outcome_reply,
    reply_packet,
    reply_status,
    session_reply,
)
from performance.control.requests import NOT_APPLIED, Handout, Request, Settled
from performance.control.tickets import Tickets, Waiting
from performance.control.wire import Message, WireError, build_message, parse_packet
from performance.core.clock import Clock, MonotonicClock
from performance.core.mailbox import CommandQueue, LatestSlot
from performance.show.commands import Command, Go, SetShowMode, ShowModeChanged
from performance.show.gogate import GoGate
from performance.show.seqoptions import STALE, TOO_SOON, Outcome

ESSENCE_PREFIX = "/essence/"  # a sender using these wants all the feedback


OSC_EVENTS_KEPT = 1024  # messages kept for `take_events` (a run takes them every frame)
OscEvent = tuple[str, str, str]
"""(address, sender host, reply status) of one message received: the status of the reply
sent at once (ok, denied, error), or `none` (a command or parameter the show answers once it
applied it, a button's release, or an error reply the sender's rate limit held back)."""


class ControlHub:
    """Thread-safe meeting point of the OSC threads and the main loop.

    `clock` gives the time of packets handled without one (default: a `MonotonicClock`);
    `go_gate` is the sequencer's minimum-GO-interval rule (None: no interval check). A gate
    needs the show's own clock: the hub's times and the sequencer's must be on one clock.
    """

    def __init__(
        self,
        options: HubOptions | None = None,
        *,
        queue: CommandQueue[Request] | None = None,
        params: ParamRanges | None = None,
        clock: Clock | None = None,
        go_gate: GoGate | None = None,
    ) -> None:
        if go_gate is not None and clock is None:
            raise ValueError("a GO gate needs the show's clock: pass clock= with go_gate=")
        self.options = options or HubOptions()
        self.queue: CommandQueue[Request] = (
            queue if queue is not None else CommandQueue(self.options.queue_size)
        )
        self.status: LatestSlot[RigStatus] = LatestSlot()
        self.drops = DropCounter()
        self.clock: Clock = clock if clock is not None else MonotonicClock()
        self.go_gate = go_gate
        self.show_mode = self.options.show_mode
        self.param_ranges = params
        self.access = AccessPolicy(
            allow=self.options.allow,
            passcode=self.options.passcode,
            unlock_code=self.options.unlock_code,
            rate_limit=self.options.rate_limit,
            max_packet=self.options.max_packet,
        )
        self.packets = 0  # admitted packets
        self.messages = 0  # messages that acted (queued, coalesced or answered)
        self.coalesced = 0  # parameter values overwritten before the main loop took them
        self.events: deque[OscEvent] = deque(maxlen=OSC_EVENTS_KEPT)  # for a recording
        self._lock = threading.Lock()
        self._params: dict[str, ParamSet] = {}
        self._tickets = Tickets()  # transport commands waiting for the show's answer
        self._cues = KnownCues()  # what a cue-aimed command may aim at (cuecheck.py)
        self.outbox = Outbox()  # the show's answers, until their transport's server sends
        self.handout = Handout(self.options.stale_after)  # the show's side, `drain`/`settle`
        self._refusals: list[str] | None = None  # handle_packet's `refused`, while it runs
        # set when something waits for `drain` (`urgent`: a transport command or a show-mode
        # change), for a drainer that sleeps until then (the OSC process's uplink)
        self.wake = threading.Event()
        self.urgent = threading.Event()

    # --- main loop side -----------------------------------------------------------------

    def put(self, command: Command) -> bool:
        """Queue a command from a local control (keyboard) behind the OSC ones; the
        show-mode key (`SetShowMode`) changes show mode here at once (no passcode: the
        keyboard is the rig's own)."""
        if isinstance(command, SetShowMode):
            self.set_show_mode(command.on)
            return True
        return self.queue.put(Request(command))

    def set_show_mode(self, on: bool | None) -> None:
        """Set show mode (None: toggle) and wake the drainer (the OSC process's uplink)."""
        with self._lock:
            self.show_mode = not self.show_mode if on is None else on
        self.urgent.set()
        self.wake.set()

    def take_requests(self) -> list[Request]:
        """Transport requests in arrival order, then the newest value of each parameter."""
        requests = self.queue.drain()
        with self._lock:
            requests.extend(self._take_params())
        return requests

    def _take_params(self) -> list[Request]:
        """The pending parameter values as requests, newest per name (the lock held)."""
        params, self._params = self._params, {}
        return [Request(param_command(p)) for p in params.values()]

    def drain(self) -> list[Command]:
        """The commands for the show now (`take_requests`); a stale one is answered `stale`
        and never handed out (see control/requests.py). Answer the rest with `settle`."""
        refused: list[Settled] = []
        commands = self.handout.hand(self.take_requests(), self.clock.now(), refused)
        self.answer(refused)
        return commands

    def settle(self, receipts: Iterable[tuple[Command, Outcome]],
               default: Outcome = NOT_APPLIED) -> None:
        """Answer the commands `drain` handed out, with the show's receipts."""
        self.answer(self.handout.settle(receipts, default))

    def answer(self, settled: Iterable[Settled]) -> None:
        """Reply to each ticket's sender with what became of its command."""
        due = False
        with self._lock:
            for item in settled:
                waiting = self._tickets.take(item.ticket)
                if waiting is None:
                    continue
                key, address, press, _ = waiting
                if item.outcome.reason == STALE:  # never reached the show
                    if press is not None and self.go_gate is not None:
                        self.go_gate.withdraw(press)  # so it was no GO press
                    self.drops.drop("stale", f"{address} from {key[1]}", self.clock.now())
                self.outbox.add(key, outcome_reply(address, item.outcome))
                due = True
        if due:
            self.outbox.notify()

    def watch_replies(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Have `wake` called whenever replies are due (`Outbox.watch`): each server that
        answers senders (the OSC sockets, the web console) watches."""
        return self.outbox.watch(wake)

    def replies_due(self, transport: str) -> list[tuple[SenderKey, bytes]]:
        """The answers owed to senders of one transport (`Outbox.due`); taken once."""
        return self.outbox.due(transport)

    def take_events(self) -> list[OscEvent]:
        """The messages received since the last call (`OscEvent`), oldest first."""
        with self._lock:
            out = list(self.events)
            self.events.clear()
        return out

    def waiting(self) -> tuple[int, int]:
        """(transport commands queued, parameter values pending), without taking them."""
        with self._lock:
            return len(self.queue), len(self._params)

    def publish(self, status: RigStatus) -> None:
        """Offer the newest status (subscribers get what changed, rate limited)."""
        self.status.put(status)

    def set_param_ranges(self, params: ParamRanges | None) -> None:
        """Declared inputs (`ParamRange`s by name); None accepts any finite value by name."""
        self.param_ranges = dict(params) if params is not None else None

    # --- socket thread side -------------------------------------------------------------

    def handle_packet(
        self, data: bytes, sender: SenderKey, now: float | None = None,
        refused: list[str] | None = None,
    ) -> list[bytes]:
        """Act on one packet from `sender`; returns the reply packets for that sender.
        `refused`, when given, gets the kind of each refusal of this packet (the drop
        counters' kinds: `not_allowed`, `rate_limited`, `denied`, ...), so a sender that
        is told nothing (the web console) can say why."""
        now = self.clock.now() if now is None else now
        with self._lock:
            session, why = self.access.admit(sender, len(data), now)
        if session is None or why:
            self.drops.drop(why, f"{len(data)} bytes from {sender[1]}:{sender[2]}", now)
            if refused is not None:
                refused.append(why)
            return []
        replies: list[bytes] = []
        with self._lock:
            self._refusals = refused
            try:
                self._handle_messages(data, session, now, replies)
            finally:
                self._refusals = None
        return replies

    def _handle_messages(self, data: bytes, session: Session, now: float,
                         replies: list[bytes]) -> None:
        """The messages of one admitted packet (the lock held), their replies to `replies`."""
        try:
            messages = parse_packet(data)
        except WireError as exc:
            self._refused(session, exc.kind, f"from {session.host}: {exc}", now)
            if exc.address is not None:  # a blob to /go: told, like any wrong type
                reply = error_reply(session, exc.address, "error", exc.kind, now)
                if reply:
                    replies.append(reply)
            return
        self.packets += 1
        for message in messages:
            try:
                reply = self._handle_message(message, session, now)
            except Exception as exc:  # a bug in one message's handling must never
                # stop the socket thread: count it, drop the message, go on
                self.drops.drop("internal_error",
                                f"{message.address} from {session.host}: {exc!r}", now)
                if self._refusals is not None:
                    self._refusals.append("internal_error")
                self.events.append((message.address, session.host, "internal_error"))
                continue
            self.events.append((message.address, session.host, reply_status(reply)))
            if reply:
                replies.append(reply)

    def valued(self, sender: SenderKey) -> bool:
        """Whether the sender's session holds something (`AccessPolicy.valued`)."""
        with self._lock:
            return self.access.valued(sender)

    def host_authenticated(self, host: str) -> bool:
        """`AccessPolicy.host_authenticated`, under the lock (the console's OSCQuery asks)."""
        with self._lock:
            return self.access.host_authenticated(host)

    def forget(self, sender: SenderKey) -> None:
        """The sender is gone (TCP connection closed): drop its session and subscription."""
        with self._lock:
            self.access.forget(sender)

    def _status_now(self) -> RigStatus | None:
        """The newest status, with the show mode as it is here now."""
        status = self.status.peek()
        return None if status is None else replace(status, show_mode=self.show_mode)

    def feedback_due(
        self, transport: str, now: float | None = None
    ) -> list[tuple[SenderKey, bytes]]:
        """Status packets owed to subscribers of one transport ("udp"/"tcp") right now."""
        now = self.clock.now() if now is None else now
        out: list[tuple[SenderKey, bytes]] = []
        with self._lock:
            status = self._status_now()
            self.access.expire_subscriptions(now, self.options.updates_expire)
            if status is None:
                return out
            for session in self.access.subscribers(transport):
                feedback = session.feedback
                if feedback is None:
                    feedback = session.feedback = SubscriberFeedback(self.options.feedback_rate)
                for address, args in feedback.due(status, now):
                    if not session.qlab or address.startswith(QLAB_PUSHES):
                        out.append((session.key, build_message(address, args)))
        return out

    # --- one message (called with the lock held) ---------------------------------------

    def _handle_message(self, message: Message, session: Session, now: float) -> bytes | None:
        address = message.address
        try:
            resolved = resolve(address, message.args, message.types, self.param_ranges)
        except AddressError as exc:
            self._refused(session, exc.kind, f"from {session.host}: {exc}", now)
            return error_reply(session, address, "error", exc.kind, now)
        action = resolved.action
        if address.startswith(ESSENCE_PREFIX):
            session.qlab = False
        elif isinstance(action, SessionOp) and action.op in QLAB_OPS:
            session.qlab = True
        if isinstance(action, SessionOp) and action.op == SessionOpKind.CONNECT:
            result = self.access.connect(session, str(action.value or ""), now)
            if result is not ConnectResult.OK:
                self._refused(session, "bad_passcode" if result is ConnectResult.BADPASS
                              else "throttled", f"from {session.host}", now)
            ok = result is ConnectResult.OK or not action.value  # a probe: as QLab, ok
            return reply_packet(address, "ok" if ok else DENIED, result.value)
        if isinstance(action, Ignored):  # a button's release: nothing to allow or refuse
            return None
        refusal = self.access.permit(
            session, resolved.needs_auth, resolved.editing, self.show_mode
        )
        if refusal:  # the sender's want of a passcode is `denied`; the rig's show mode, not
            kind, status = ("denied", DENIED) if refusal == CONNECT_FIRST \
                else ("show_mode", "error")
            self._refused(session, kind, f"{address} from {session.host}: {refusal}", now)
            return error_reply(session, address, status, refusal, now)
        self.messages += 1
        if isinstance(action, ParamSet):
            if action.name in self._params:
                self.coalesced += 1
            self._params.pop(action.name, None)  # newest value, newest position
            self._params[action.name] = action
            self.wake.set()
            return None
        if isinstance(action, SessionOp):
            return self._session_op(action, session, address)
        return self._transport(action, session, address, now)

    def _transport(self, action: Transport, session: Session, address: str,
                   now: float) -> bytes | None:
        command, gate, press = action.command, self.go_gate, None
        refusal = self._cues.refusal(command, self.status.peek())
        if refusal is not None:  # the show would refuse it: answered here, never queued
            self._refused(session, "unknown_cue", f"{address} from {session.host}: {refusal}",
                          now)
            return error_reply(session, address, "error", refusal, now)
        if self._tickets.busy(session.key, now):
            self._refused(session, "sender_busy",
                          f"{address} from {session.host}:{session.key[2]}", now)
            return error_reply(session, address, "error", "queue full", now)
        if isinstance(command, Go) and gate is not None:
            press = gate.admit(now)
            if press is None:
                self._refused(session, "too_soon", f"{address} from {session.host}", now)
                return reply_packet(address, "error", TOO_SOON)
            command = Go(press)
        ticket = self._tickets.issue()
        if not self.queue.put(Request(command, ticket, now)):
            if press is not None and gate is not None:
                gate.withdraw(press)  # never queued: it was no GO press
            self._refused(session, "queue_full", f"{address} from {session.host}", now)
            return error_reply(session, address, "error", "queue full", now)
        self._tickets.book(ticket, Waiting(session.key, address, press, now))
        self.urgent.set()
        self.wake.set()
        return None  # answered once the show applied or refused it (`answer`)

    def _refused(self, session: Session, kind: str, detail: str, now: float) -> None:
        """Count a refusal (logged at most once per kind per interval) and spend one of the
        sender's refusal budget (`AccessPolicy.admit` drops a sender's packets unread while
        its budget is spent: `refusal_flood`)."""
        self.drops.drop(kind, detail, now)
        session.refusals.take(now)
        if self._refusals is not None:  # handle_packet's caller asked why
            self._refusals.append(kind)

    def _session_op(self, action: SessionOp, session: Session, address: str) -> bytes:
        if action.op != SessionOpKind.SHOWMODE:  # the rest: replies.py
            return session_reply(
                action, session, address, self._status_now, passcode=self.access.passcode,
                show_mode=self.show_mode, reply_port=self.options.reply_port,
                min_go=self.go_gate.min_interval if self.go_gate is not None else 0.0)
        refusal = None if action.value else self.access.may_leave_show_mode(session)
        if refusal is not None:
            self._refused(session, "denied", f"{address} 0 from {session.host}: {refusal}",
                          self.clock.now())
            return reply_packet(address, DENIED, refusal.value)
        self.show_mode = bool(action.value)
        if self.show_mode:  # faders moved before the lock are applied before it
            for request in self._take_params():
                self.queue.put(request)
        self.queue.put(Request(ShowModeChanged(self.show_mode)))  # the lock, in stream order
        self.urgent.set()
        self.wake.set()
        return reply_packet(address, "ok")

    def counts(self) -> dict[str, int]:
        """Counters for a status display: drops by kind plus packets/messages/coalesced
        (and sessions evicted, once some were)."""
        with self._lock:
            base = {"packets": self.packets, "messages": self.messages,
                    "coalesced": self.coalesced, "queue_refused": self.queue.refused}
            if self.access.evicted:  # sessions that held nothing, pushed out for newcomers
                base["sessions_evicted"] = self.access.evicted
        return {**base, **self.drops.counts()}
