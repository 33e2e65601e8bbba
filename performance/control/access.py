"""Who may talk to the rig: allow-list, passcode sessions, packet size and rate limits.

A sender is one UDP host:port, or one TCP connection. Each has a `Session` (bounded table,
least recently heard evicted first) holding whether it passed `/connect <passcode>`, whether
it subscribed to feedback, and its token buckets. Pure logic: no sockets; time is passed in.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from performance.config import DEFAULTS
from performance.control.feedback import SubscriberFeedback
from performance.core.errors import ConfigError

SenderKey = tuple[str, str, int]  # ("udp", host, port) or ("tcp", host, connection number)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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


@dataclass
class Session:
    """What the rig knows about one sender."""

    key: SenderKey
    packets: TokenBucket
    error_replies: TokenBucket
    last_seen: float
    authed: bool = False
    subscribed: bool = False
    feedback: SubscriberFeedback | None = None  # what this subscriber was sent, and when

    @property
    def transport(self) -> str:
        """"udp" or "tcp"."""
        return self.key[0]

    @property
    def host(self) -> str:
        """The sender's IP address."""
        return self.key[1]


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
        rate_limit: float = DEFAULTS.osc_rate_limit,
        burst: float | None = None,
        max_packet: int = DEFAULTS.osc_max_packet,
        error_reply_rate: float = 5.0,
        max_sessions: int = 256,
    ) -> None:
        self.allow = parse_allow(allow)
        self.passcode = passcode
        self.rate_limit = rate_limit
        self.burst = burst if burst is not None else max(50.0, rate_limit / 4)
        self.max_packet = max_packet
        self.error_reply_rate = error_reply_rate
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[SenderKey, Session] = OrderedDict()

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

        Why is one of "not_allowed", "oversized", "rate_limited".
        """
        if not self.host_allowed(key[1]):
            return None, "not_allowed"
        session = self.session(key, now)
        session.last_seen = now
        if size > self.max_packet:
            return session, "oversized"
        if not session.packets.take(now):
            return session, "rate_limited"
        return session, ""

    def session(self, key: SenderKey, now: float) -> Session:
        """The sender's session, made (and the oldest evicted) when new."""
        session = self._sessions.get(key)
        if session is None:
            while len(self._sessions) >= self.max_sessions:
                self._sessions.popitem(last=False)
            session = Session(
                key=key,
                packets=TokenBucket(self.rate_limit, self.burst, now),
                error_replies=TokenBucket(self.error_reply_rate, self.error_reply_rate * 2, now),
                last_seen=now,
                authed=not self.passcode,
            )
            self._sessions[key] = session
        else:
            self._sessions.move_to_end(key)
        return session

    def connect(self, session: Session, passcode: str) -> bool:
        """`/connect <passcode>`: authenticate the session (always true without a passcode)."""
        if not self.passcode:
            session.authed = True
            return True
        ok = hmac.compare_digest(passcode.encode("utf-8"), self.passcode.encode("utf-8"))
        session.authed = ok
        return ok

    def permit(self, session: Session, needs_auth: bool, editing: bool, show_mode: bool) -> str:
        """"" when the message may act, else why not ("connect first", "show mode")."""
        if needs_auth and not session.authed:
            return "connect first"
        if editing and show_mode:
            return "show mode"
        return ""

    def forget(self, key: SenderKey) -> None:
        """Drop a sender's session (TCP connection closed, or `/disconnect`)."""
        self._sessions.pop(key, None)

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
