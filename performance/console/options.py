"""What the user asked of the web console: where it listens, OSCQuery's port, the camera.

Owns `ConsoleOptions` and reading them from the settings (`console = "[HOST:]PORT"`,
`console_camera`, `oscquery_port`), with the rules: 127.0.0.1 unless the user binds wider,
where the OSC passcode applies to the page as to any OSC sender; the camera preview only on
127.0.0.1 and only when asked.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from performance.config import Settings
from performance.core.errors import ConfigError

log = logging.getLogger("performance.console")

CONSOLE_HOST = "127.0.0.1"  # where the console listens when the user names only a port


def loopback(host: str) -> bool:
    """Whether `host` is a loopback address (127.0.0.0/8, ::1) or `localhost`."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ConsoleOptions:
    """Where the console and OSCQuery listen and what they may show (picklable)."""

    host: str = CONSOLE_HOST
    port: int = 0  # 0: any free port (tests); the address is known once it listens
    oscquery_port: int | None = None  # None: the console's port + 1 (0: any free port)
    camera: bool = False  # the camera preview with face boxes (only on loopback)
    passcode: str = ""  # the OSC passcode: asked of the page when the console binds wider
    osc_host: str = "127.0.0.1"  # the OSC input OSCQuery advertises (HOST_INFO)
    osc_udp_port: int | None = None
    osc_tcp_port: int | None = None
    name: str = "Essence rig"  # the name announced over zeroconf

    @property
    def local(self) -> bool:
        """Whether only this machine can reach the console (no passcode asked)."""
        return loopback(self.host)


def oscquery_beside(port: int) -> int:
    """OSCQuery's port when none is named: the console's + 1 (0, any free port, when the
    console's is 0 or the last one)."""
    return port + 1 if 0 < port < 65535 else 0


def parse_console(text: str) -> tuple[str, int]:
    """`[HOST:]PORT` -> (host, port); ConfigError naming `--console` for anything else."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]") if sep else CONSOLE_HOST
    if port.isdigit() and 0 <= int(port) <= 65535 and host:
        if host != "localhost":
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise ConfigError(f"--console: {host!r} is not an IP address (expected "
                                  f"[HOST:]PORT such as 8088 or 0.0.0.0:8088)") from None
        return host, int(port)
    raise ConfigError(f"--console: expected [HOST:]PORT such as 8088 or 0.0.0.0:8088, "
                      f"got {text!r}")


def console_options(settings: Settings) -> ConsoleOptions | None:
    """The console the settings ask for; None when it is off (`console` empty)."""
    if not settings.console:
        if settings.console_camera:
            raise ConfigError("--console-camera needs --console [HOST:]PORT")
        return None
    host, port = parse_console(settings.console)
    if settings.console_camera and not loopback(host):
        raise ConfigError(f"--console-camera: the camera preview is served only on "
                          f"127.0.0.1, not on {host} (the audience's faces stay on this "
                          f"machine)")
    if not loopback(host) and not settings.osc_passcode:
        log.warning("console on %s:%d: reachable from the network and no osc_passcode is "
                    "set, so anyone who reaches it can run the show (set osc_passcode)",
                    host, port)
    oscquery = settings.oscquery_port if settings.oscquery_port else None
    if oscquery is None and port:
        oscquery = oscquery_beside(port)
    return ConsoleOptions(host=host, port=port, oscquery_port=oscquery,
                          camera=settings.console_camera, passcode=settings.osc_passcode,
                          osc_host=settings.osc_host,
                          osc_udp_port=settings.osc_port or None,
                          osc_tcp_port=settings.osc_tcp_port or None)
