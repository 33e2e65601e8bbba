"""Announcing OSCQuery on the network (mDNS / DNS-SD), so controllers find the rig by name.

Owns `Announcer`, the only user of python-zeroconf: it registers `_oscjson._tcp.local.`
(the OSCQuery HTTP server, as the proposal asks) and `_osc._udp.local.` (the OSC input, when
it listens on UDP) with the addresses of the interface the console is bound to: loopback
only for 127.0.0.1, every interface for 0.0.0.0, that one address otherwise.

Threads: call `start()` and `stop()` from a thread with no running asyncio loop (the
console server's own thread before and after its loop runs, or the main thread). zeroconf
then runs its own loop in its own thread; `start()` only schedules the registration there
and returns at once (the probing and announcing take about 1.7 s, in the background);
`stop()` sends the goodbyes and closes (about 0.3 s). Neither raises for
the network: without multicast (or without a usable interface) one warning line is logged
and the console carries on unannounced.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import logging
import socket
import threading

import ifaddr  # zeroconf's own dependency: the machine's interface addresses
from zeroconf import IPVersion, ServiceInfo, Zeroconf

from performance.console.options import loopback

log = logging.getLogger(__name__)

OSCJSON_TYPE = "_oscjson._tcp.local."
OSC_UDP_TYPE = "_osc._udp.local."
MAX_LABEL = 63  # bytes of a DNS label (the instance name)


def _wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::")


def interface_addresses(host: str) -> list[str]:
    """The addresses to announce for a server bound to `host`: itself when specific
    (`localhost` is 127.0.0.1), this machine's addresses for a wildcard (IPv4 for 0.0.0.0,
    IPv4 and IPv6 for ::; loopback and link-local left out while there are others)."""
    if host == "localhost":
        return ["127.0.0.1"]
    if not _wildcard(host):
        return [str(ipaddress.ip_address(host))]
    found = [ipaddress.ip_address((ip.ip if isinstance(ip.ip, str) else ip.ip[0]).split("%")[0])
             for adapter in ifaddr.get_adapters() for ip in adapter.ips
             if ip.is_IPv4 or host == "::"]
    wide = [a for a in found if not a.is_loopback and not a.is_link_local]
    return list(dict.fromkeys(str(a) for a in (wide or found)))


def service_infos(name: str, http_host: str, http_port: int, osc_host: str,
                  osc_udp_port: int | None) -> list[ServiceInfo]:
    """The DNS-SD records to register: OSCQuery's HTTP server, and the OSC UDP input (not
    when OSC listens on loopback only while the console is reachable from elsewhere)."""
    instance = name.encode()[:MAX_LABEL].decode(errors="ignore").replace(".", " ").strip()
    instance = instance or "Essence rig"
    server = f"{socket.gethostname().split('.')[0] or 'essence'}.local."
    infos = [ServiceInfo(OSCJSON_TYPE, f"{instance}.{OSCJSON_TYPE}", port=http_port,
                         parsed_addresses=interface_addresses(http_host), server=server,
                         properties={"txtvers": "1"})]
    if osc_udp_port is not None and (loopback(http_host) or not loopback(osc_host)):
        infos.append(ServiceInfo(OSC_UDP_TYPE, f"{instance}.{OSC_UDP_TYPE}", port=osc_udp_port,
                                 parsed_addresses=interface_addresses(osc_host),
                                 server=server, properties={"txtvers": "1"}))
    return infos


async def _register(zc: Zeroconf, info: ServiceInfo) -> None:
    """Register one record (in zeroconf's loop): probe for the name, then announce."""
    waiting = await zc.async_register_service(info, allow_name_change=True)
    await waiting


class Announcer:
    """Registers the rig's OSCQuery (and OSC) service over zeroconf while the console runs."""

    def __init__(self, name: str, http_host: str, http_port: int, osc_host: str,
                 osc_udp_port: int | None) -> None:
        self.name = name
        self.http_host = http_host
        self.http_port = http_port
        self.osc_host = osc_host
        self.osc_udp_port = osc_udp_port
        self.infos: list[ServiceInfo] = []  # what start() asked zeroconf to register
        self.registered: list[concurrent.futures.Future[None]] = []
        self._zc: Zeroconf | None = None
        self._lock = threading.Lock()
        self._warned = False

    def start(self) -> None:
        """Schedule the registration and return (never raises for the network)."""
        with self._lock:
            if self._zc is not None:
                return
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                pass
            else:
                self._warn("called from a running asyncio loop; not announced")
                return
            try:
                self.infos = service_infos(self.name, self.http_host, self.http_port,
                                           self.osc_host, self.osc_udp_port)
                self._zc = self._zeroconf()
                loop = self._zc.loop
                assert loop is not None
                for info in self.infos:
                    future = asyncio.run_coroutine_threadsafe(_register(self._zc, info), loop)
                    future.add_done_callback(self._registered)
                    self.registered.append(future)
            except Exception as exc:  # optional: whatever zeroconf raises, the console runs
                self._warn(str(exc) or type(exc).__name__)
                self._close()

    def stop(self) -> None:
        """Unregister (goodbye packets) and close (about 0.3 s); safe to call twice."""
        with self._lock:
            self._close()

    def _zeroconf(self) -> Zeroconf:
        """zeroconf on the console's interface (its own loop thread: no loop runs here)."""
        if self.http_host == "::":
            return Zeroconf(ip_version=IPVersion.All)
        if _wildcard(self.http_host):
            return Zeroconf(ip_version=IPVersion.V4Only)
        address = interface_addresses(self.http_host)[0]
        version = IPVersion.V6Only if ":" in address else IPVersion.V4Only
        return Zeroconf(interfaces=[address], ip_version=version)

    def _registered(self, future: concurrent.futures.Future[None]) -> None:
        if not future.cancelled() and future.exception() is not None:
            self._warn(str(future.exception()) or type(future.exception()).__name__)

    def _close(self) -> None:
        zc, self._zc = self._zc, None
        if zc is None:
            return
        for future in self.registered:
            future.cancel()  # a registration still probing stops (no-op once done)
        self.registered = []
        try:
            zc.close()  # goodbyes for what registered, then the loop thread ends
        except Exception as exc:  # closing must not stop the console's shutdown
            self._warn(f"closing: {exc or type(exc).__name__}")

    def _warn(self, why: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning("OSCQuery: not announced over zeroconf on %s (%s); controllers can "
                        "still connect to http://%s:%d/", self.http_host, why,
                        self.http_host, self.http_port)
