"""OSC control in its own process (`OscProcess`), with real sockets and a real `oscsend`:
commands arrive in order, `/thump` is answered while this process holds the interpreter
lock (the socket thread it replaces is not), a killed or hung child is reported once and
replaced on the same ports, and a port in use fails at start. Every wait is bounded.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from performance.control import ControlHub, HubOptions, OscServer
from performance.control.port import ControlPort
from performance.control.process import OscProcess
from performance.control.wire import build_message, parse_packet, slip_encode
from performance.core.clock import MonotonicClock
from performance.core.errors import ConfigError
from performance.show.commands import (
    Blackout,
    Command,
    Go,
    GotoCue,
    Panic,
    Pause,
    Resume,
    SetInput,
    Stop,
)
from performance.show.seqoptions import Outcome
from tests.integration.conftest import LOCAL, free_udp_port, oscsend, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

# Measures /thump round trips from its own process (a thread here would wait for the lock
# too): one JSON list of milliseconds on stdout, after "ready" once the first one came back.
CLIENT = """
import json, socket, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(5.0)
packet = b"/thump\\x00\\x00"
rtts = []
s.sendto(packet, ("127.0.0.1", port)); s.recvfrom(4096)
print("ready", flush=True)
end = time.monotonic() + seconds
while time.monotonic() < end:
    t = time.perf_counter()
    s.sendto(packet, ("127.0.0.1", port))
    s.recvfrom(4096)
    rtts.append(1000 * (time.perf_counter() - t))
    time.sleep(0.01)
print(json.dumps(rtts), flush=True)
"""


@pytest.fixture
def process() -> Iterator[OscProcess]:
    """A started OscProcess on free ports, replying to the sender's own port."""
    proc = OscProcess(HubOptions(), host=LOCAL, udp_port=0, tcp_port=0, reply_port=0,
                      clock=MonotonicClock(), restart_s=0.1, hang_s=0.6)
    proc.start()
    yield proc
    proc.stop()


def udp(proc: OscProcess) -> int:
    assert proc.udp_address is not None
    return proc.udp_address[1]


def thump(port: int, timeout: float = 0.3) -> bool:
    """True when `/thump` on 127.0.0.1:`port` is answered within `timeout`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOCAL, 0))
        s.settimeout(timeout)
        s.sendto(build_message("/thump"), (LOCAL, port))
        try:
            data, _ = s.recvfrom(4096)
        except TimeoutError:
            return False
    return parse_packet(data)[0].address == "/reply/thump"


def drain_until(port: ControlPort, count: int, timeout: float = 3.0) -> list[Command]:
    got: list[Command] = []
    wait_for(lambda: bool(got.extend(port.drain())) or len(got) >= count, timeout)
    return got


@pytest.mark.usefixtures("liblo_tools")
def test_commands_from_oscsend_reach_drain_in_the_order_sent(process: OscProcess) -> None:
    port = udp(process)
    sent: list[tuple[str, str, tuple[str, ...], Command]] = [
        ("/go", "", (), Go()), ("/stop", "", (), Stop()),
        ("/essence/blackout", "i", ("1",), Blackout(True)),
        ("/cue/3/start", "", (), GotoCue("3", True)), ("/panic", "", (), Panic()),
        ("/essence/param/glow", "f", ("0.5",), SetInput("glow", 0.5)),
        ("/pause", "", (), Pause()), ("/resume", "", (), Resume()),
    ]
    for address, types, values, _ in sent:
        oscsend(port, address, types, *values)
    got = drain_until(process, len(sent))
    transports = [c for _, _, _, c in sent if not isinstance(c, SetInput)]
    assert [c for c in got if not isinstance(c, SetInput)] == transports
    assert [c for c in got if isinstance(c, SetInput)] == [SetInput("glow", 0.5)]
    assert process.counts()["messages"] == len(sent)


def _thumps_while_the_lock_is_held(port: int, hold_s: float) -> list[float]:
    """Round trips measured by another process while this one's main thread holds the
    interpreter lock for `hold_s` (as moderngl does through a software-rendered frame)."""
    client = subprocess.Popen([sys.executable, "-c", CLIENT, str(port), str(hold_s + 0.5)],
                              stdout=subprocess.PIPE, text=True)
    assert client.stdout is not None
    assert client.stdout.readline().strip() == "ready"
    interval = sys.getswitchinterval()
    sys.setswitchinterval(30.0)  # no other thread of this process runs until we let go
    try:
        end = time.monotonic() + hold_s
        spins = 0
        while time.monotonic() < end:  # pure Python: holds the lock the whole time
            spins += 1
    finally:
        sys.setswitchinterval(interval)
    out, _ = client.communicate(timeout=20)
    rtts = json.loads(out.strip().splitlines()[-1])
    assert client.returncode == 0 and rtts
    return sorted(rtts)


def test_thump_is_answered_while_the_render_process_holds_the_lock(
        process: OscProcess) -> None:
    rtts = _thumps_while_the_lock_is_held(udp(process), hold_s=2.0)
    p50, p95 = rtts[len(rtts) // 2], rtts[int(0.95 * (len(rtts) - 1))]
    print(f"\nprocess: {len(rtts)} thumps, p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
          f"max {rtts[-1]:.1f} ms")
    assert len(rtts) > 50  # answered all along, not after the lock was let go
    assert p50 < 5.0 and p95 < 25.0


def test_the_socket_thread_it_replaces_waits_for_the_lock() -> None:
    """The contrast: the same measurement against the hub's threads in this process."""
    server = OscServer(ControlHub(), host=LOCAL, udp_port=0, tcp_port=None, reply_port=0)
    server.start()
    try:
        assert server.udp_address is not None
        rtts = _thumps_while_the_lock_is_held(server.udp_address[1], hold_s=2.0)
    finally:
        server.stop()
    print(f"\nthread: {len(rtts)} thumps, max {rtts[-1]:.0f} ms")
    assert rtts[-1] > 1000.0  # a thump waited for the whole hold


def test_a_killed_child_is_reported_once_and_listens_again_on_its_ports(
        process: OscProcess, caplog: pytest.LogCaptureFixture) -> None:
    port = udp(process)
    assert process.tcp_address is not None
    tcp_port = process.tcp_address[1]
    assert thump(port)
    caplog.set_level(logging.WARNING, logger="performance.control")
    for _ in range(2):
        pid = process.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda p=pid: bool(process.drain() or True) and process.running
                        and process.pid != p and thump(port, 0.05), timeout=10.0)
    counts = process.counts()
    assert counts["crashed"] == 2 and counts["restarts"] == 2 and process.restarts == 2
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "crashed" in errors[0]  # reported once, then counted
    with socket.create_connection((LOCAL, tcp_port), timeout=3) as tcp:  # TCP is back too
        tcp.sendall(slip_encode(build_message("/go")))
        [go] = drain_until(process, 1)
        assert go == Go()
        process.settle([(go, Outcome(True))])  # answered once the show applied it
        assert b"/reply/go" in tcp.recv(4096)


def test_a_hung_child_is_replaced(process: OscProcess) -> None:
    pid = process.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # alive, but its heartbeat stops
    assert wait_for(lambda: bool(process.drain() or True) and process.pid != pid
                    and process.running and thump(udp(process), 0.05), timeout=10.0)
    assert process.counts()["hung"] == 1


def test_a_port_in_use_fails_at_start_naming_it() -> None:
    port = free_udp_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((LOCAL, port))
        proc = OscProcess(host=LOCAL, udp_port=port, tcp_port=None)
        with pytest.raises(ConfigError, match=f"cannot listen on {LOCAL} \\(udp {port}"):
            proc.start()
        assert not proc.running


ORPHAN_PARENT = """
import sys, time
from performance.control.process import OscProcess
if __name__ == "__main__":
    proc = OscProcess(host="127.0.0.1", udp_port=int(sys.argv[1]), tcp_port=None,
                      reply_port=0)
    proc.start()
    print(proc.pid, flush=True)
    time.sleep(60)
"""


def test_the_child_ends_with_a_render_process_that_died() -> None:
    """A render process killed outright leaves no child holding the show's ports."""
    port = free_udp_port()
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN_PARENT, str(port)],
                              stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert thump(port)
    parent.kill()
    parent.wait(5)

    def gone() -> bool:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        return False

    assert wait_for(gone, timeout=5.0)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # the port is free again
        s.bind((LOCAL, port))
