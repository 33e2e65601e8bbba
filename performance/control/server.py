"""`OscServer`: the UDP and TCP sockets, each served by its own thread and `select` loop.

Threads only decode and hand packets to the `ControlHub` (which queues commands); the show
changes on the main loop. Each loop waits at most `poll` seconds, so `stop()` is prompt, and
between waits sends the feedback and the answers the hub says are due (the hub wakes both
loops through a socket pair when the show settled a command, so an answer never waits for
the poll). The UDP socket asks for a `RCVBUF_BYTES` receive buffer (a burst of a flood
waits there, not dropped, while a packet is handled) and logs what the kernel granted when
it is less. Sends never block: UDP uses a
non-blocking socket (a full send buffer drops the reply), TCP keeps a bounded per-connection
output buffer (a controller that stops reading is disconnected).

TCP connections are bounded and can never lock a controller out: at most `max_connections`
(16) at once and `max_per_host` (8) from one host; a new connection always gets in, and
when either bound is reached the connection that has been idle longest is closed for it
(`tcp_evicted`): first one that never sent a packet, then one whose sender holds nothing
(no passcode authentication, unlock code, subscription or reply port), then by the time of
its last packet. A connection that sends no packet at all for `idle_timeout` (60 s; a
Companion polling 4 times a second never comes near it) is closed (`tcp_idle`).

UDP replies go to the sender's host on `reply_port` (QLab's 53001 by default), or to the
port the packet came from when `reply_port` is 0. TCP replies use the same connection and
the same framing the controller used (SLIP or length prefix, see wire.py).
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from performance.config import DEFAULTS, Settings
from performance.control.access import SenderKey
from performance.control.hub import ControlHub
from performance.control.wire import StreamDecoder
from performance.core.errors import ConfigError

log = logging.getLogger("performance.control")

MAX_DATAGRAM = 65535
MAX_TCP_OUTBUF = 1 << 20
RECV_BATCH = 512  # datagrams read per wake-up before feedback gets a turn
RCVBUF_BYTES = 4 << 20  # the UDP receive buffer asked for (Linux caps it at rmem_max)
MAX_CONNECTIONS = 16  # TCP connections at once (the longest idle is closed for a newcomer)
MAX_PER_HOST = 8  # ... from one host
TCP_IDLE_S = 60.0  # a TCP connection that sends no packet for this long is closed
IDLE_CHECK_S = 0.25  # how often the TCP loop looks for idle connections


@dataclass
class _Connection:
    sock: socket.socket
    key: SenderKey
    decoder: StreamDecoder
    active: float  # when it last sent a whole packet (or was accepted)
    packets: int = 0  # whole packets it sent
    out: bytearray = field(default_factory=bytearray)


class OscServer:
    """OSC over UDP and TCP for one `ControlHub`. Ports: None = off, 0 = any free port.

    Address and ports default to the settings' defaults (`from_settings` takes a run's)."""

    def __init__(
        self,
        hub: ControlHub,
        *,
        host: str = DEFAULTS.osc_host,
        udp_port: int | None = DEFAULTS.osc_port,
        tcp_port: int | None = DEFAULTS.osc_tcp_port,
        reply_port: int = DEFAULTS.osc_reply_port,
        poll: float = 0.02,
        max_connections: int = MAX_CONNECTIONS,
        max_per_host: int = MAX_PER_HOST,
        idle_timeout: float = TCP_IDLE_S,
    ) -> None:
        self.hub = hub
        self.host = host
        self.udp_port = udp_port
        self.tcp_port = tcp_port
        self.reply_port = reply_port
        self.poll = poll
        self.max_connections = max(1, max_connections)
        self.max_per_host = max(1, min(max_per_host, self.max_connections))
        self.idle_timeout = idle_timeout
        self._idle_checked = 0.0
        self.udp_address: tuple[str, int] | None = None
        self.tcp_address: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._unwatch: Callable[[], None] = lambda: None  # set by start
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._conns: dict[socket.socket, _Connection] = {}
        self._next_conn = 0
        self.rcvbuf = 0  # the UDP receive buffer the kernel granted, bytes
        self._wakers: list[tuple[socket.socket, socket.socket]] = []

    @classmethod
    def from_settings(cls, hub: ControlHub, settings: Settings) -> OscServer:
        """A server on the configured address and ports (port 0 in the settings means off)."""
        return cls(
            hub,
            host=settings.osc_host,
            udp_port=settings.osc_port or None,
            tcp_port=settings.osc_tcp_port or None,
            reply_port=settings.osc_reply_port,
        )

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Bind the sockets and start the threads; ConfigError names a port in use."""
        try:
            if self.udp_port is not None:
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self.rcvbuf = _large_receive_buffer(udp)
                udp.bind((self.host, self.udp_port))
                udp.setblocking(False)
                self._udp, self.udp_address = udp, udp.getsockname()[:2]
            if self.tcp_port is not None:
                tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                tcp.bind((self.host, self.tcp_port))
                tcp.listen(64)  # a burst of connections waits here, not in SYN retries
                tcp.setblocking(False)
                self._tcp, self.tcp_address = tcp, tcp.getsockname()[:2]
        except OSError as exc:
            self._close_sockets()
            raise ConfigError(
                f"OSC: cannot listen on {self.host} (udp {self.udp_port}, tcp {self.tcp_port}):"
                f" {exc.strerror or exc}"
            ) from exc
        self._stop.clear()
        self._wakers = [socket.socketpair() for _ in range(2)]  # udp, tcp
        for reader, writer in self._wakers:
            reader.setblocking(False)
            writer.setblocking(False)
        self._unwatch = self.hub.watch_replies(self._wake)
        if self._udp is not None:
            self._threads.append(threading.Thread(target=self._udp_loop, name="osc-udp",
                                                  daemon=True))
        if self._tcp is not None:
            self._threads.append(threading.Thread(target=self._tcp_loop, name="osc-tcp",
                                                  daemon=True))
        for thread in self._threads:
            thread.start()
        log.info("OSC listening: udp %s, tcp %s", self.udp_address, self.tcp_address)

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the threads (within about one poll interval) and close every socket."""
        self._stop.set()
        self._unwatch()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        self._close_sockets()

    def __enter__(self) -> OscServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wake(self) -> None:
        """Called by the hub (any thread) when answers are due: wake both loops."""
        for _, writer in self._wakers:
            with contextlib.suppress(OSError):  # full (a wake-up is pending) or closed
                writer.send(b"!")

    @staticmethod
    def _woken(readable: list[socket.socket], reader: socket.socket) -> None:
        if reader in readable:
            with contextlib.suppress(OSError):
                reader.recv(4096)

    def _close_sockets(self) -> None:
        for conn in list(self._conns.values()):
            conn.sock.close()
        self._conns.clear()
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()
        self._udp = self._tcp = None
        for pair in self._wakers:
            for sock in pair:
                sock.close()
        self._wakers = []

    # --- UDP ----------------------------------------------------------------------------

    def _udp_reply_to(self, key: SenderKey) -> tuple[str, int]:
        """The sender's host, on the port it asked for (`/udpReplyPort`), else the rig's
        `reply_port`, else the port the packet came from."""
        return key[1], self.hub.access.reply_port(key) or self.reply_port or key[2]

    def _udp_send(self, sock: socket.socket, packet: bytes, dest: tuple[str, int]) -> None:
        try:
            sock.sendto(packet, dest)
        except OSError as exc:  # full buffer, unreachable: a reply is never worth waiting
            self.hub.drops.drop("send_failed", f"to {dest[0]}:{dest[1]}: {exc}",
                                self.hub.clock.now())

    def _udp_loop(self) -> None:
        sock = self._udp
        assert sock is not None
        waker = self._wakers[0][0]
        while not self._stop.is_set():
            readable, _, _ = select.select([sock, waker], [], [], self.poll)
            self._woken(readable, waker)
            if sock in readable:
                for _ in range(RECV_BATCH):
                    try:
                        data, addr = sock.recvfrom(MAX_DATAGRAM)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError as exc:
                        self.hub.drops.drop("recv_failed", str(exc), self.hub.clock.now())
                        break
                    key: SenderKey = ("udp", addr[0], addr[1])
                    for reply in self.hub.handle_packet(data, key):
                        self._udp_send(sock, reply, self._udp_reply_to(key))
            for key, packet in self.hub.replies_due("udp") + self.hub.feedback_due("udp"):
                self._udp_send(sock, packet, self._udp_reply_to(key))

    # --- TCP ----------------------------------------------------------------------------

    def _tcp_loop(self) -> None:
        listener = self._tcp
        assert listener is not None
        waker = self._wakers[1][0]
        while not self._stop.is_set():
            socks = [listener, waker, *self._conns]
            writers = [c.sock for c in self._conns.values() if c.out]
            readable, writable, _ = select.select(socks, writers, [], self.poll)
            self._woken(readable, waker)
            for sock in readable:
                if sock is listener:
                    self._accept(listener)
                elif sock in self._conns:
                    self._read(self._conns[sock])
            for sock in writable:
                if sock in self._conns:
                    self._flush(self._conns[sock])
            self._close_idle()
            by_key = {c.key: c for c in self._conns.values()}
            for key, packet in self.hub.replies_due("tcp") + self.hub.feedback_due("tcp"):
                conn = by_key.get(key)
                if conn is not None:
                    self._queue_out(conn, packet)

    def _accept(self, listener: socket.socket) -> None:
        try:
            sock, addr = listener.accept()
        except OSError:
            return
        now = self.hub.clock.now()
        host = addr[0]
        if not self.hub.access.host_allowed(host):
            self.hub.drops.drop("not_allowed", f"tcp from {host}", now)
            sock.close()
            return
        same_host = [c for c in self._conns.values() if c.key[1] == host]
        if len(same_host) >= self.max_per_host:
            self._evict(same_host, f"{host} has {len(same_host)} connections", now)
        elif len(self._conns) >= self.max_connections:
            self._evict(list(self._conns.values()), f"{len(self._conns)} connections", now)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._next_conn += 1
        key: SenderKey = ("tcp", host, self._next_conn)
        self._conns[sock] = _Connection(sock, key, StreamDecoder(self.hub.options.max_packet),
                                        active=now)

    def _evict(self, among: list[_Connection], why: str, now: float) -> None:
        """Close the connection of `among` that has been idle longest, for a newcomer (the
        order is in the module's words)."""
        victim = min(among, key=lambda c: (c.packets > 0, self.hub.valued(c.key), c.active))
        self.hub.drops.drop("tcp_evicted", f"tcp {victim.key[1]} idle "
                            f"{now - victim.active:.1f} s, for a new connection ({why})", now)
        self._close(victim)

    def _close_idle(self) -> None:
        """Close the connections that sent no packet for `idle_timeout`."""
        now = self.hub.clock.now()
        if now - self._idle_checked < IDLE_CHECK_S:
            return
        self._idle_checked = now
        for conn in [c for c in self._conns.values() if now - c.active > self.idle_timeout]:
            self.hub.drops.drop("tcp_idle", f"tcp {conn.key[1]}: no packet for "
                                f"{now - conn.active:.0f} s", now)
            self._close(conn)

    def _read(self, conn: _Connection) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn)
            return
        before = conn.decoder.oversized
        for packet in conn.decoder.feed(data):
            conn.packets += 1
            conn.active = self.hub.clock.now()
            for reply in self.hub.handle_packet(packet, conn.key):
                self._queue_out(conn, reply)
        if conn.decoder.oversized != before:
            self.hub.drops.drop("oversized", f"tcp frame from {conn.key[1]}",
                                self.hub.clock.now())
        if conn.decoder.broken:
            self._close(conn)

    def _queue_out(self, conn: _Connection, packet: bytes) -> None:
        conn.out += conn.decoder.encode(packet)
        if len(conn.out) > MAX_TCP_OUTBUF:
            self.hub.drops.drop("slow_reader", f"tcp {conn.key[1]}", self.hub.clock.now())
            self._close(conn)
            return
        self._flush(conn)

    def _flush(self, conn: _Connection) -> None:
        try:
            sent = conn.sock.send(conn.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        del conn.out[:sent]

    def _close(self, conn: _Connection) -> None:
        if self._conns.pop(conn.sock, None) is not None:
            conn.sock.close()
            self.hub.forget(conn.key)


def _large_receive_buffer(sock: socket.socket) -> int:
    """Ask for `RCVBUF_BYTES` (forced past rmem_max where the process may); the granted size
    (Linux reports twice what it books), logged when it is less than asked."""
    for option in (getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF):
        if option is None:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, RCVBUF_BYTES)
            break
        except OSError:  # SO_RCVBUFFORCE needs CAP_NET_ADMIN
            continue
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    if granted < RCVBUF_BYTES:
        log.warning("OSC: the kernel granted a %d KiB UDP receive buffer, not the %d KiB asked "
                    "(raise net.core.rmem_max for floods)", granted // 1024, RCVBUF_BYTES // 1024)
    return int(granted)
