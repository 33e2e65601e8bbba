"""Who may talk to the rig: allow-list, passcode sessions, packet size and rate limits,
`/connect` guesses throttled per host, and who may leave show mode.

A sender is one UDP host:port, or one TCP connection. Each has a `Session` holding whether
it passed `/connect <passcode>` (or `/connect <unlock code>`), whether it subscribed to
feedback, and its token buckets. The table is bounded (`MAX_SESSIONS`, at most
`MAX_SESSIONS_PER_HOST` of one host) and a newcomer only ever pushes out a session that
holds nothing (`Session.kept` is false: not authenticated by a passcode, not unlocked, not
subscribed, no reply port, no open TCP connection), the least recently heard first (of its
own host first when that host is at its cap); when every session holds something the
newcomer is refused (`sessions_full`), so a flood of one-off senders never logs the
operator out. A
`/connect` that carries a code, while a passcode or an unlock code is set, is a guess: after
`FREE_GUESSES` wrong ones from a host, each next guess from that host is refused unchecked
(`throttled`) until a back-off that doubles from `BACKOFF_FIRST_S` to `BACKOFF_MAX_S` has
passed; a right one clears it. Leaving show mode over OSC (`may_leave_show_mode`): with a
passcode, an authenticated sender; without one, a sender that sent the `osc_unlock_code`;
with neither set, nobody (show mode is then left only by starting the rig without it).
Pure logic: no sockets; time is passed in.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from performance.config import DEFAULTS
from performance.control.feedback import SubscriberFeedback
from performance.core.errors import ConfigError
from performance.show.seqoptions import SHOW_MODE

CONNECT_FIRST = "connect first"  # why a message that needs a session's passcode is refused

SenderKey = tuple[str, str, int]  # ("udp", host, port) or ("tcp", host, connection number)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FREE_GUESSES = 3  # wrong codes from one host before the back-off starts (typos)
BACKOFF_FIRST_S = 0.5  # the first wait after them; doubles with each wrong guess
BACKOFF_MAX_S = 30.0  # ... up to this: at most one guess per 30 s per host after 9 wrong
MAX_GUESSERS = 1024  # hosts whose wrong guesses are remembered (oldest forgotten first)
REFUSALS_RATE = 500.0  # refused messages a second one sender may send on average ...
REFUSALS_BURST = 1000.0  # ... in bursts up to this; then its packets are dropped unread
MAX_SESSIONS = 256  # senders remembered at once
MAX_SESSIONS_PER_HOST = 64  # ... of them from one host (a host's spare ports cannot fill it)


class ConnectResult(StrEnum):
    """What a `/connect` got (the reply's data)."""

    OK = "ok"
    BADPASS = "badpass"  # a wrong passcode
    THROTTLED = "throttled"  # too many wrong codes from this host: not even checked


class LeaveRefusal(StrEnum):
    """Why a sender may not leave show mode."""

    CONNECT_FIRST = "connect first"  # a passcode is set: `/connect <passcode>` first
    UNLOCK_CODE = "unlock code needed"  # `/connect <osc_unlock_code>` first
    NOT_OVER_OSC = "not over osc"  # neither a passcode nor an unlock code is set


@dataclass
class Guesses:
    """Wrong codes from one host and when it may guess again."""

    wrong: int = 0
    until: float = -1.0


class TokenBucket:
    """`rate` events per second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.last = now

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        elapsed = max(0.0, now - self.last)
        self.last = now
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def spent(self, now: float) -> bool:
        """Whether there is no token now (nothing is taken)."""
        if self.tokens >= 1.0:
            return False
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.last) * self.rate)
        self.last = max(self.last, now)
        return self.tokens < 1.0


@dataclass
class Session:
    """What the rig knows about one sender."""

    key: SenderKey
    packets: TokenBucket
    error_replies: TokenBucket
    refusals: TokenBucket  # messages of this sender the hub may refuse (see `admit`)
    last_seen: float
    authed: bool = False
    unlocked: bool = False  # sent the unlock code (may leave show mode without a passcode)
    subscribed: bool = False
    feedback: SubscriberFeedback | None = None  # what this subscriber was sent, and when
    reply_port: int | None = None  # QLab's /udpReplyPort: where its UDP replies go instead
    qlab: bool = False  # spoke QLab (a workspace query) and no /essence/ address since: it
    # is sent QLab's own pushes only (`/update/...`), as a QLab client reads nothing else

    @property
    def transport(self) -> str:
        """"udp" or "tcp"."""
        return self.key[0]

    @property
    def host(self) -> str:
        """The sender's IP address."""
        return self.key[1]

    def kept(self, passcode: bool) -> bool:
        """Whether the session holds something a newcomer must not push out: a passcode's
        authentication (`passcode`: one is set; without one every sender is authenticated
        and that holds nothing), the unlock code, a subscription, a reply port, or an open
        TCP connection (forgotten when it closes)."""
        return (self.transport == "tcp" or (passcode and self.authed) or self.unlocked
                or self.subscribed or self.reply_port is not None)


def parse_allow(text: str | Iterable[str]) -> tuple[Network, ...]:
    """Allow-list entries (IPs or networks, comma separated); empty means everyone."""
    items = text.split(",") if isinstance(text, str) else list(text)
    networks: list[Network] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigError(f"osc_allow: {item!r} is not an IP address or network") from exc
    return tuple(networks)


class AccessPolicy:
    """The checks every packet and message passes before it can change anything."""

    def __init__(
        self,
        *,
        allow: str | Iterable[str] = "",
        passcode: str = "",
        unlock_code: str = "",
        rate_limit: float = DEFAULTS.osc_rate_limit,
        burst: float | None = None,
        max_packet: int = DEFAULTS.osc_max_packet,
        error_reply_rate: float = 5.0,
        max_sessions: int = MAX_SESSIONS,
        max_sessions_per_host: int = MAX_SESSIONS_PER_HOST,
    ) -> None:
        self.allow = parse_allow(allow)
        self.passcode = passcode
        self.unlock_code = unlock_code
        self.guessed = 0  # codes checked
        self.throttled = 0  # codes refused unchecked
        self._guesses: OrderedDict[str, Guesses] = OrderedDict()
        self.rate_limit = rate_limit
        self.burst = burst if burst is not None else max(50.0, rate_limit / 4)
        self.max_packet = max_packet
        self.error_reply_rate = error_reply_rate
        self.max_sessions = max_sessions
        self.max_sessions_per_host = max_sessions_per_host
        self.evicted = 0  # sessions pushed out for a newcomer
        self._sessions: OrderedDict[SenderKey, Session] = OrderedDict()  # least recent first
        self._per_host: Counter[str] = Counter()

    def host_allowed(self, host: str) -> bool:
        """True when the allow-list is empty or names this host's network."""
        if not self.allow:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in net for net in self.allow)

    def admit(self, key: SenderKey, size: int, now: float) -> tuple[Session | None, str]:
        """Check one incoming packet: (session, "") when admitted, else (None|session, why).

        Why is one of "not_allowed", "sessions_full" (see the module), "oversized",
        "rate_limited", "refusal_flood" (the sender's messages were refused more than
        `REFUSALS_RATE` a second, bursts of `REFUSALS_BURST`: dropped unread, which costs a
        fraction of reading and refusing each, until its budget refills).
        """
        if not self.host_allowed(key[1]):
            return None, "not_allowed"
        session = self.session(key, now)
        if session is None:
            return None, "sessions_full"
        session.last_seen = now
        if size > self.max_packet:
            return session, "oversized"
        if not session.packets.take(now):
            return session, "rate_limited"
        if session.refusals.spent(now):
            return session, "refusal_flood"
        return session, ""

    def session(self, key: SenderKey, now: float) -> Session | None:
        """The sender's session, made when new, room made for it as the module says; None
        when there is none to make (every session that could go holds something)."""
        session = self._sessions.get(key)
        if session is None:
            host = key[1]
            while self._per_host[host] >= self.max_sessions_per_host:
                if not self._evict(host):
                    return None
            while len(self._sessions) >= self.max_sessions:
                if not self._evict(None):
                    return None
            session = Session(
                key=key,
                packets=TokenBucket(self.rate_limit, self.burst, now),
                error_replies=TokenBucket(self.error_reply_rate, self.error_reply_rate * 2, now),
                refusals=TokenBucket(REFUSALS_RATE, REFUSALS_BURST, now),
                last_seen=now,
                authed=not self.passcode,
            )
            self._sessions[key] = session
            self._per_host[host] += 1
        else:
            self._sessions.move_to_end(key)
        return session

    def _evict(self, host: str | None) -> bool:
        """Forget the least recently heard session that holds nothing (of `host`, or of
        any host); False when there is none."""
        passcode = bool(self.passcode)
        for key, session in self._sessions.items():
            if (host is None or key[1] == host) and not session.kept(passcode):
                self._remove(key)
                self.evicted += 1
                return True
        return False

    def _remove(self, key: SenderKey) -> None:
        if self._sessions.pop(key, None) is not None:
            host = key[1]
            self._per_host[host] -= 1
            if self._per_host[host] <= 0:
                del self._per_host[host]

    def host_authenticated(self, host: str) -> bool:
        """Whether a session of `host` holds the passcode's authentication now (over OSC, or
        a console page still open); every host does when no passcode is set."""
        return not self.passcode or any(
            s.authed and s.host == host for s in self._sessions.values())

    def valued(self, key: SenderKey) -> bool:
        """Whether a sender's session authenticated with the passcode, unlocked, subscribed
        or chose its reply port (a TCP connection's is kept longest, `OscServer`)."""
        session = self._sessions.get(key)
        return session is not None and ((bool(self.passcode) and session.authed)
                                        or session.unlocked or session.subscribed
                                        or session.reply_port is not None)

    def connect(self, session: Session, code: str, now: float) -> ConnectResult:
        """`/connect [code]`: authenticate the session with the passcode (always OK without
        one), or mark it `unlocked` with the unlock code; wrong codes back off per host."""
        secret = self.passcode or self.unlock_code
        if not code or not secret:  # a probe, or nothing to guess
            session.authed = session.authed or not self.passcode
            return ConnectResult.OK if session.authed else ConnectResult.BADPASS
        guesses = self._guesses.get(session.host)
        if guesses is not None and now < guesses.until:
            self.throttled += 1
            return ConnectResult.THROTTLED
        self.guessed += 1
        right = hmac.compare_digest(code.encode("utf-8"), secret.encode("utf-8"))
        if self.passcode:
            session.authed = right
        else:
            session.authed, session.unlocked = True, session.unlocked or right
        if right:
            self._guesses.pop(session.host, None)
        else:
            self._wrong(session.host, now)
        return ConnectResult.OK if session.authed else ConnectResult.BADPASS

    def _wrong(self, host: str, now: float) -> None:
        guesses = self._guesses.pop(host, None) or Guesses()
        self._guesses[host] = guesses  # newest last
        while len(self._guesses) > MAX_GUESSERS:
            self._guesses.popitem(last=False)
        guesses.wrong += 1
        if guesses.wrong >= FREE_GUESSES:
            wait = BACKOFF_FIRST_S * 2.0 ** (guesses.wrong - FREE_GUESSES)
            guesses.until = now + min(BACKOFF_MAX_S, wait)

    def may_leave_show_mode(self, session: Session) -> LeaveRefusal | None:
        """None when this sender may turn show mode off, else why not (see the module)."""
        if self.passcode:
            return None if session.authed else LeaveRefusal.CONNECT_FIRST
        if self.unlock_code:
            return None if session.unlocked else LeaveRefusal.UNLOCK_CODE
        return LeaveRefusal.NOT_OVER_OSC

    def permit(self, session: Session, needs_auth: bool, editing: bool, show_mode: bool) -> str:
        """"" when the message may act, else why not ("connect first", "show mode")."""
        if needs_auth and not session.authed:
            return CONNECT_FIRST
        if editing and show_mode:
            return SHOW_MODE
        return ""

    def reply_port(self, key: SenderKey) -> int | None:
        """The UDP port a sender asked its replies on (`/udpReplyPort`); None: not asked."""
        session = self._sessions.get(key)
        return session.reply_port if session is not None else None

    def forget(self, key: SenderKey) -> None:
        """Drop a sender's session (TCP connection closed, or `/disconnect`)."""
        self._remove(key)

    def expire_subscriptions(self, now: float, quiet_for: float) -> list[SenderKey]:
        """Unsubscribe UDP senders not heard from for `quiet_for` seconds; their keys."""
        gone = [
            s.key for s in self._sessions.values()
            if s.subscribed and s.transport == "udp" and now - s.last_seen > quiet_for
        ]
        for key in gone:
            self._sessions[key].subscribed = False
            self._sessions[key].feedback = None
        return gone

    def subscribers(self, transport: str | None = None) -> list[Session]:
        """Sessions that asked for feedback (of one transport, or all)."""
        return [
            s for s in self._sessions.values()
            if s.subscribed and (transport is None or s.transport == transport)
        ]

    def __len__(self) -> int:
        return len(self._sessions)
