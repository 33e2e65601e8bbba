"""Starting the web console beside a `ControlHub`: what crosses to the OSC process, and the
running console it returns.

Owns `ConsoleLaunch` (picklable: the options and the picture blocks; `start(hub)` starts
the servers of `server.py` with that process's hub and announces OSCQuery over zeroconf,
`announce.py`, once it listens) and `RunningConsole` (the addresses it got, `stop()`).
aiohttp and zeroconf are imported only by `start`, in the process that serves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from performance.console.options import ConsoleOptions
from performance.console.pictures import PictureBlocks, PictureSource
from performance.control.hub import ControlHub

if TYPE_CHECKING:
    from performance.console.announce import Announcer
    from performance.console.server import ConsoleServer

log = logging.getLogger("performance.console")


class RunningConsole:
    """A console that listens: where, and how to stop it."""

    def __init__(self, server: ConsoleServer, announcer: Announcer | None) -> None:
        self.server = server
        self.announcer = announcer

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the page is served on (the real port when 0 was asked)."""
        assert self.server.address is not None  # set before `start` returned
        return self.server.address

    @property
    def oscquery_address(self) -> tuple[str, int] | None:
        """(host, port) of OSCQuery."""
        return self.server.oscquery_address

    def stop(self) -> None:
        """Unannounce, close every page and both sites (safe to call twice)."""
        if self.announcer is not None:
            self.announcer.stop()
            self.announcer = None
        self.server.stop()


@dataclass(frozen=True)
class ConsoleLaunch:
    """The console to start in the process that serves OSC (see the module)."""

    options: ConsoleOptions
    pictures: PictureBlocks

    def start(self, hub: ControlHub, *, announce: bool = True) -> RunningConsole:
        """Start the servers with `hub`; returns once they listen. ConfigError (one line)
        naming the address when a port is taken. `announce`: OSCQuery over zeroconf."""
        from performance.console.server import ConsoleServer

        server = ConsoleServer(hub, self.options, PictureSource(self.pictures))
        server.start()
        announcer = None
        if announce and server.oscquery_address is not None:
            try:
                from performance.console.announce import Announcer

                host, port = server.oscquery_address
                announcer = Announcer(self.options.name, host, port, self.options.osc_host,
                                      self.options.osc_udp_port)
                announcer.start()
            except ImportError as exc:  # the console runs without the announcement
                log.warning("OSCQuery: not announced (%s)", exc)
                announcer = None
        return RunningConsole(server, announcer)

    def rebind(self, address: tuple[str, int],
               oscquery_address: tuple[str, int] | None) -> ConsoleLaunch:
        """The same console on the addresses a first start got (a replacement process
        listens where the first did, so open pages reconnect to it)."""
        query = oscquery_address[1] if oscquery_address is not None else \
            self.options.oscquery_port
        # the host as the user named it (`localhost` may have bound ::1 first): only the
        # ports the first start got are kept
        return replace(self, options=replace(self.options, port=address[1],
                                             oscquery_port=query))
