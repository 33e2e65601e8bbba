"""Telling systemd how the kiosk is doing: sd_notify(3) over the socket in $NOTIFY_SOCKET.

Owns the protocol only (READY, STATUS, WATCHDOG, STOPPING datagrams), with the standard library.
Never raises and never blocks: outside systemd every call does nothing, and a failed send is
logged once and retried quietly on the next call.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import MutableMapping

log = logging.getLogger(__name__)

ENV_KEYS = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")
STATUS_MAX = 200  # characters: one readable line in `systemctl --user status`


def _one_line(text: str) -> str:
    """`text` as one printable line (control characters, NUL and newlines become spaces)."""
    line = "".join(" " if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text).strip()
    return line if len(line) <= STATUS_MAX else line[: STATUS_MAX - 3] + "..."


def _watchdog_interval(usec: str, pid: str) -> float | None:
    """Seconds between pings (half the timeout, as sd_watchdog_enabled(3) advises), or None."""
    try:
        timeout_us = int(usec)
        if pid and int(pid) != os.getpid():
            return None  # the watchdog was set up for another process
    except ValueError:
        return None
    return timeout_us / 2e6 if timeout_us > 0 else None


class Notifier:
    """The service's line to systemd. Use it from the main process (NotifyAccess=main)."""

    def __init__(self, environ: MutableMapping[str, str] | None = None, *,
                 unset: bool = True) -> None:
        """Read the sd_notify variables from `environ` (default os.environ); with `unset`, remove
        them so child processes never talk to systemd as if they were the service."""
        env = os.environ if environ is None else environ
        name = env.get("NOTIFY_SOCKET", "")
        usec, pid = env.get("WATCHDOG_USEC", ""), env.get("WATCHDOG_PID", "")
        if unset:
            for key in ENV_KEYS:
                env.pop(key, None)
        self._address: str | None = None
        if name.startswith("/"):
            self._address = name
        elif name.startswith("@") and len(name) > 1:
            self._address = "\0" + name[1:]  # the Linux abstract namespace
        elif name:
            log.warning("NOTIFY_SOCKET=%r is not a path or an @name; not notifying systemd", name)
        self._interval = _watchdog_interval(usec, pid) if self._address else None
        self._sock: socket.socket | None = None
        self._last_ping: float | None = None
        self._last_status: str | None = None
        self._warned = False
        self._closed = False

    @property
    def enabled(self) -> bool:
        """Whether systemd named a notification socket (we run as a Type=notify service)."""
        return self._address is not None

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between watchdog pings; None when systemd expects none from this process."""
        return self._interval

    def ready(self, status: str = "") -> None:
        """Start-up is complete (READY=1), with an optional status line."""
        line = _one_line(status) if status else ""
        if self._send("READY=1" + (f"\nSTATUS={line}" if line else "")) and line:
            self._last_status = line

    def watchdog(self, now: float) -> bool:
        """Ping the watchdog when an interval has passed since the last ping (`now`: seconds on
        any monotonic clock; the first call always pings). Returns whether a ping was sent."""
        if self._interval is None:
            return False
        last = self._last_ping
        if last is not None and last <= now < last + self._interval:
            return False
        if not self._send("WATCHDOG=1"):
            return False
        self._last_ping = now
        return True

    def status(self, text: str) -> None:
        """Show one line in `systemctl status` (sent only when it changed)."""
        line = _one_line(text)
        if line != self._last_status and self._send(f"STATUS={line}"):
            self._last_status = line

    def stopping(self) -> None:
        """The service is shutting down (STOPPING=1)."""
        self._send("STOPPING=1")

    def close(self) -> None:
        """Close the socket; later calls do nothing."""
        self._closed = True
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _send(self, message: str) -> bool:
        if self._address is None or self._closed:
            return False
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sock.setblocking(False)
            self._sock.sendto(message.encode("utf-8", "replace"), self._address)
        except OSError as exc:
            level = logging.DEBUG if self._warned else logging.WARNING
            self._warned = True
            log.log(level, "cannot notify systemd (%s): %s", message.split("=", 1)[0], exc)
            return False
        return True
