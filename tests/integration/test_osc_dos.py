"""Denial of service on OSC control, injected into real runs over real sockets: idle TCP
connections, a crowd of one-off UDP senders, a flood of GOs to a cue that does not exist.

The clients are independent of the rig: plain Python sockets (in this process, or in their
own for the flood) and liblo's `oscsend` (a new UDP port per message, the one-off sender
the session table must survive). The TCP tests bind their clients to other loopback
addresses (127.0.0.2, ...) to be other hosts. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from performance.control import HubOptions
from performance.control.process import OscProcess
from performance.control.wire import (
    Message,
    StreamDecoder,
    WireError,
    build_message,
    parse_packet,
    slip_encode,
)
from performance.core.clock import MonotonicClock
from performance.show.seqoptions import Outcome
from tests.integration.conftest import LOCAL, oscsend, wait_for
from tests.integration.rig_process import essence_run

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

PASSCODE = "2468"


class SlipClient:
    """One TCP controller speaking SLIP (as Companion does), from `source` (a loopback
    address: another host)."""

    def __init__(self, port: int, source: str = LOCAL) -> None:
        self.sock = socket.create_connection((LOCAL, port), timeout=3.0,
                                             source_address=(source, 0))
        self.decoder = StreamDecoder(1 << 16)
        self.closed = False

    def send(self, address: str, *args: object) -> None:
        self.sock.sendall(slip_encode(build_message(address, list(args))))  # type: ignore[arg-type]

    def reply(self, address: str, timeout: float = 2.0) -> dict[str, object] | None:
        """The JSON body of the next `/reply<address>`, None if none came (or it closed)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0 and not self.closed:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                break
            except OSError:
                data = b""
            if not data:
                self.closed = True
                break
            for packet in self.decoder.feed(data):
                for message in parse_packet(packet):
                    if message.address == "/reply" + address:
                        body = json.loads(str(message.args[0]))
                        assert isinstance(body, dict)
                        return body
        return None

    def was_closed(self, timeout: float = 0.0) -> bool:
        """Whether the rig closed this connection (EOF within `timeout`)."""
        if self.closed:
            return True
        self.sock.settimeout(timeout or 0.001)
        try:
            data = self.sock.recv(65536)
        except (TimeoutError, BlockingIOError):
            return False
        except OSError:
            data = b""
        self.closed = not data
        return self.closed

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def process() -> Iterator[OscProcess]:
    """An OscProcess with a passcode on free ports, replying to the sender's own port, whose
    TCP connections time out after 1 s without a packet."""
    proc = OscProcess(HubOptions(passcode=PASSCODE), host=LOCAL, udp_port=0, tcp_port=0,
                      reply_port=0, clock=MonotonicClock(), tcp_idle_s=1.0)
    proc.start()
    yield proc
    proc.stop()


def test_idle_tcp_connections_never_lock_out_a_controller(process: OscProcess) -> None:
    """Before: 16 idle connections, and every new one was closed at once. Now a polling,
    authenticated controller (Companion) stays, a new controller always gets in, the
    longest idle is closed first, at most 8 per host, and idle ones go after the timeout."""
    assert process.tcp_address is not None
    port = process.tcp_address[1]
    companion = SlipClient(port)
    companion.send("/connect", PASSCODE)
    assert (companion.reply("/connect") or {}).get("status") == "ok"
    polls: list[bool] = []
    stop = threading.Event()

    def poll() -> None:  # 4 Hz, as Companion's QLab module does
        while not stop.is_set():
            companion.send("/thump")
            polls.append(companion.reply("/thump", 1.0) is not None)
            stop.wait(0.25)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        host2 = [SlipClient(port, "127.0.0.2") for _ in range(12)]  # 4 over the host's cap
        host3 = [SlipClient(port, "127.0.0.3") for _ in range(8)]  # the last one: 17 open
        time.sleep(0.3)  # accepted (well inside the 1 s idle timeout)
        newcomer = SlipClient(port, "127.0.0.4")
        newcomer.send("/thump")
        assert newcomer.reply("/thump", 1.0) is not None, "a new controller was locked out"
        closed2 = [c.was_closed(0.05) for c in host2]
        closed3 = [c.was_closed(0.01) for c in host3]
        # the host's cap closed its 4 oldest, the global cap its 5th oldest for host3's
        # last, and the newcomer took the 6th oldest: idle longest goes first
        assert closed2 == [True] * 6 + [False] * 6 and not any(closed3)
        assert wait_for(lambda: process.counts().get("tcp_evicted") == 6, 1.0)
        assert "tcp_idle" not in process.counts()
        idle_gone = wait_for(lambda: all(c.was_closed(0.01) for c in host2 + host3), 3.0)
        assert idle_gone, "idle connections were not closed after the idle timeout"
        assert newcomer.was_closed(1.5)  # it sent one packet, then nothing for 1 s
    finally:
        stop.set()
        poller.join(5)
    assert wait_for(lambda: process.counts().get("tcp_idle") == 14 + 1, 1.0), process.counts()
    assert not companion.was_closed() and len(polls) >= 5 and all(polls)
    companion.send("/go")  # its authenticated session is intact: GO needs the passcode
    got: list[object] = []
    assert wait_for(lambda: bool(got.extend(process.drain())) or bool(got), 3.0)
    assert [type(c).__name__ for c in got] == ["Go"]
    process.settle([(got[0], Outcome(True))])  # type: ignore[list-item]
    assert (companion.reply("/go") or {}).get("status") == "ok"
    for client in [companion, newcomer, *host2, *host3]:
        client.close()


def udp_reply(sock: socket.socket, address: str, timeout: float = 2.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            break
        try:
            messages: list[Message] = parse_packet(data)
        except WireError:
            continue
        for message in messages:
            if message.address == "/reply" + address:
                body = json.loads(str(message.args[0]))
                assert isinstance(body, dict)
                return body
    raise AssertionError(f"no /reply{address} in {timeout} s")


@pytest.mark.usefixtures("liblo_tools")
def test_one_off_udp_senders_never_log_the_operator_out(process: OscProcess) -> None:
    """Before: 300 senders from new ports evicted the operator's authenticated session and
    its GO was refused `connect first`. Now the newcomers push out only each other."""
    assert process.udp_address is not None
    port = process.udp_address[1]
    operator = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    operator.bind((LOCAL, 0))
    operator.sendto(build_message("/connect", [PASSCODE]), (LOCAL, port))
    assert udp_reply(operator, "/connect")["status"] == "ok"
    for i in range(1000):  # one-off senders: a new socket (port) each
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as one_off:
            one_off.sendto(build_message("/thump"), (LOCAL, port))
        if i % 250 == 0:
            oscsend(port, "/go")  # liblo: a new port too, and not authenticated
    assert wait_for(lambda: process.counts().get("packets", 0) >= 1000 + 1, 5.0)
    operator.sendto(build_message("/go"), (LOCAL, port))
    got: list[object] = []
    wait_for(lambda: bool(got.extend(process.drain())) or bool(got), 3.0)
    process.settle([(c, Outcome(True)) for c in got])  # type: ignore[misc]
    answer = udp_reply(operator, "/go")
    assert (answer["status"], answer.get("data")) == ("ok", None), answer  # still connected
    assert [type(c).__name__ for c in got] == ["Go"]
    counts = process.counts()
    assert counts["sessions_evicted"] >= 1000 - 256
    assert counts["denied"] == 4  # liblo's GOs: connect first
    operator.close()


# A flood of /essence/goto 999 at `rate` a second for `seconds`, from its own process (so
# it never waits for this one); prints how many it sent.
FLOOD = """
import socket, sys, time
sys.path.insert(0, sys.argv[4])
from performance.control.wire import build_message
port, rate, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
packet = build_message("/essence/goto", [999])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
start, sent = time.monotonic(), 0
while time.monotonic() - start < seconds:
    for _ in range(rate // 100):
        try:
            s.sendto(packet, ("127.0.0.1", port))
        except OSError:
            pass
        sent += 1
    delay = start + sent / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
print(sent, flush=True)
"""


def test_a_flood_of_gotos_to_no_cue_never_starves_a_go() -> None:
    """A real run with the Neo-Lumen show and a 10,000 msg/s flood of `/essence/goto 999`.
    Before: every GO during it was refused `queue full` or never answered, and each goto
    wrote a log line (11,000 in 10 s here, 75,000 on a faster machine). Now the OSC
    process refuses them at the door (the flooding sender's packets are soon dropped unread:
    `refusal_flood`), counts them and logs one line per kind per 5 s, and each GO is applied
    and answered within a second."""
    from tests.integration.rig_process import ROOT

    with essence_run(["--input", "scripted", "--cues", "cues/neo_lumen.toml", "--no-sound",
                      "--seconds", "60"]) as rig:
        rig.wait_rendering(30.0)
        flood = subprocess.Popen([sys.executable, "-c", FLOOD, str(rig.osc_port), "10000",
                                  "4", str(ROOT)], stdout=subprocess.PIPE, text=True)
        go = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        go.bind((LOCAL, 0))
        answers: list[tuple[float, object, object]] = []
        try:
            time.sleep(0.5)  # the flood is under way
            for _ in range(6):
                sent = time.monotonic()
                go.sendto(build_message("/go"), (LOCAL, rig.osc_port))
                try:
                    body = udp_reply(go, "/go", 3.0)
                except AssertionError:
                    body = {}
                answers.append((time.monotonic() - sent, body.get("status"), body.get("data")))
                time.sleep(0.4)  # more than the show's 0.25 s between GOs
            out, _ = flood.communicate(timeout=10)
        finally:
            if flood.poll() is None:
                flood.kill()
            go.close()
        flooded = int(out.strip())
        os.kill(rig.pid, signal.SIGTERM)  # the normal end: the run prints its counters
        assert rig.wait_exit(20.0) is not None
        rig.finish()
    print(f"\nGOs during the flood (s, status, data): {answers}; {flooded} gotos sent")
    assert [status for _, status, _ in answers] == ["ok"] * 6, (answers, rig.stdout, rig.stderr)
    assert max(seconds for seconds, _, _ in answers) < 1.0, answers
    counts = {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", rig.stdout.split("osc:")[-1])}
    refused = counts.get("unknown_cue", 0) + counts.get("refusal_flood", 0)
    print(f"refused at the door: {counts}")
    assert counts.get("unknown_cue", 0) >= 500 and refused >= 0.98 * flooded, rig.stdout
    control_lines = [line for line in rig.stderr.splitlines() if "performance.control" in line]
    assert not any("GotoCue refused" in line for line in rig.stderr.splitlines())
    flood_lines = [line for line in control_lines if "OSC dropped" in line]
    assert 1 <= len(flood_lines) <= 6, flood_lines  # per kind one line per 5 s, with the count
    assert any(re.search(r"OSC dropped \d+ x unknown_cue .*no cue 999", line)
               for line in flood_lines), flood_lines
