"""Real OSC over 127.0.0.1 with an independent client: liblo's `oscsend` drives the rig,
`oscdump` receives its replies and feedback (Debian's liblo-tools).

liblo 0.31's `oscsend osc.tcp://...` frames TCP packets with a 4-byte length prefix (OSC 1.0
style), not SLIP; the rig detects the framing per connection, and OSC 1.1 SLIP (QLab,
Companion) is tested with a small SLIP client below. Every wait is bounded.

Each test that takes the `rig` runs twice: with the hub and its socket threads in this
process (`control = "thread"`), and with both in their own process (`OscProcess`, the
default), whose counters and commands cross a pipe.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from performance.control import ControlHub, HubOptions, OscSender, OscServer, RigStatus
from performance.control.actions import ParamRange
from performance.control.port import ControlPort
from performance.control.process import OscProcess
from performance.control.wire import (
    Framing,
    StreamDecoder,
    build_message,
    parse_message,
    parse_packet,
    slip_encode,
)
from performance.show.commands import Command, Go, GotoCue, SetInput, Stop
from performance.show.seqoptions import Outcome
from tests.integration.conftest import LOCAL, Dump, oscsend, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60),
              pytest.mark.usefixtures("liblo_tools")]


Server = OscServer | OscProcess
Rig = Callable[..., tuple[ControlPort, Server]]


@pytest.fixture(params=["thread", "process"])
def rig(dump: Dump, request: pytest.FixtureRequest) -> Iterator[Rig]:
    """Start a hub + server (in this process, or in their own) on free loopback ports,
    replies to oscdump's port."""
    servers: list[Server] = []

    def start(**options: object) -> tuple[ControlPort, Server]:
        hub_options = HubOptions(**options)  # type: ignore[arg-type]
        if request.param == "process":
            process = OscProcess(hub_options, host=LOCAL, udp_port=0, tcp_port=0,
                                 reply_port=dump.port)
            process.start()
            servers.append(process)
            return process, process
        hub = ControlHub(hub_options)
        server = OscServer(hub, host=LOCAL, udp_port=0, tcp_port=0, reply_port=dump.port)
        server.start()
        servers.append(server)
        return hub, server

    yield start
    for server in servers:
        server.stop()


def collect(hub: ControlPort, until: Callable[[list[Command]], bool],
            timeout: float = 3.0) -> list[Command]:
    """Drain like the main loop does until `until(all so far)` holds or time is up; a show
    that applies everything (so each sender is answered `ok`)."""
    got: list[Command] = []

    def step() -> bool:
        new = hub.drain()
        hub.settle([(c, Outcome(True)) for c in new])
        got.extend(new)
        return until(got)

    wait_for(step, timeout)
    return got


def udp_port(server: Server) -> int:
    assert server.udp_address is not None
    return server.udp_address[1]


def tcp_port(server: Server) -> int:
    assert server.tcp_address is not None
    return server.tcp_address[1]


def test_liblo_udp_and_tcp_commands_reach_the_hub(rig: Rig,
                                                 dump: Dump) -> None:
    hub, server = rig()
    oscsend(udp_port(server), "/go")
    oscsend(udp_port(server), "/workspace/ABCD/cue/3.5/start")
    oscsend(udp_port(server), "/essence/param/glow", "f", "0.5")
    oscsend(f"osc.tcp://{LOCAL}:{tcp_port(server)}", "/stop", "i", "1")
    got = collect(hub, lambda g: len(g) >= 4)
    assert Go() in got and GotoCue("3.5", True) in got and Stop() in got
    assert SetInput("glow", 0.5) in got
    assert dump.reply("/go")["status"] == "ok"
    assert dump.reply("/workspace/ABCD/cue/3.5/start")["status"] == "ok"


def test_a_vector_to_a_one_number_input_is_answered_bad_type(rig: Rig, dump: Dump) -> None:
    """The sweep's `/essence/param/intensity ff 0.5 0.5`: refused at the door with a reply
    (the show refused it a frame later, unanswered, a log line each frame)."""
    hub, server = rig()
    hub.set_param_ranges({"intensity": ParamRange(0.0, 2.0, 1)})  # as the show publishes it
    time.sleep(0.1)  # the OSC process takes the ranges from its downlink
    oscsend(udp_port(server), "/essence/param/intensity", "ff", "0.5", "0.5")
    assert dump.reply("/essence/param/intensity") == {
        "workspace_id": "essence", "address": "/essence/param/intensity", "status": "error",
        "data": "bad_type"}
    oscsend(udp_port(server), "/essence/param/intensity", "f", "0.5")
    assert collect(hub, lambda g: bool(g)) == [SetInput("intensity", 0.5)]


def test_thump_and_connect_replies_arrive_at_oscdump(
        rig: Rig, dump: Dump) -> None:
    hub, server = rig(passcode="2468")
    oscsend(udp_port(server), "/thump")
    thump = dump.reply("/thump")
    assert thump == {"workspace_id": "essence", "address": "/thump", "status": "ok",
                     "data": "thump"}
    oscsend(udp_port(server), "/connect", "s", "1111")
    assert dump.reply("/connect")["status"] == "denied"
    oscsend(udp_port(server), "/connect", "s", "2468")
    assert dump.reply("/connect")["status"] == "ok"
    # oscsend uses a new source port each time: that is a new, unauthenticated sender
    oscsend(udp_port(server), "/go")
    assert dump.reply("/go") == {"workspace_id": "essence", "address": "/go",
                                 "status": "denied", "data": "connect first"}
    # a controller keeping its port connects once and is then obeyed
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ctl:
        ctl.bind((LOCAL, 0))
        ctl.sendto(build_message("/connect", ["2468"]), (LOCAL, udp_port(server)))
        ctl.sendto(build_message("/go"), (LOCAL, udp_port(server)))
        assert collect(hub, lambda g: Go() in g) == [Go()]
    assert hub.counts()["denied"] == 1 and hub.counts()["bad_passcode"] == 1


def test_go_survives_a_flood_of_parameters(rig: Rig,
                                           dump: Dump) -> None:
    hub, server = rig()
    rate, seconds = 10_000, 1.0
    total = int(rate * seconds)
    packets = [build_message("/essence/param/glow", [i / total]) for i in range(total)]
    final = build_message("/essence/param/glow", [0.125])  # after the burst: must win
    target = (LOCAL, udp_port(server))
    flood_done, main_done = threading.Event(), threading.Event()
    drained: list[tuple[float, Command]] = []

    def flood() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            start = time.monotonic()
            for i in range(0, total, 100):  # paced in batches of 100 every 10 ms
                for packet in packets[i:i + 100]:
                    s.sendto(packet, target)
                delay = start + (i + 100) / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            time.sleep(0.02)
            s.sendto(final, target)
        flood_done.set()

    def main_loop() -> None:  # drains every 5 ms, as the render loop does between frames
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not main_done.is_set():
            now = time.monotonic()
            new = hub.drain()
            hub.settle([(c, Outcome(True)) for c in new])  # a show that applies them
            drained.extend((now, c) for c in new)
            time.sleep(0.005)

    threads = [threading.Thread(target=flood), threading.Thread(target=main_loop)]
    flood_start = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(seconds / 2)
    go_start = time.monotonic()
    oscsend(udp_port(server), "/go")  # with liblo, in the middle of the flood
    time.sleep(seconds / 4)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        cue_sent = time.monotonic()
        s.sendto(build_message("/cue/9/start"), target)
    assert flood_done.wait(10)
    flood_time = time.monotonic() - flood_start
    wait_for(lambda: any(c == SetInput("glow", 0.125) for _, c in drained), 10.0)
    main_done.set()
    for thread in threads:
        thread.join(5)
    commands = [c for _, c in drained]
    params = [c for c in commands if isinstance(c, SetInput)]
    assert commands.count(Go()) == 1 and commands.count(GotoCue("9", True)) == 1
    go_at = next(t for t, c in drained if c == Go())
    cue_at = next(t for t, c in drained if c == GotoCue("9", True))
    assert params[-1] == SetInput("glow", 0.125)  # newest wins
    assert len(params) < total / 20  # coalesced: at most one per drained frame
    assert dump.reply("/go")["status"] == "ok"
    handled = hub.counts()["packets"]
    assert handled >= 0.95 * total
    print(f"\nflood: {handled}/{total + 3} packets handled in {flood_time:.2f}s; "
          f"{len(params)} SetInput reached the main loop; GO drained "
          f"{1000 * (go_at - go_start):.1f} ms after oscsend started; /cue/9/start drained "
          f"{1000 * (cue_at - cue_sent):.1f} ms after its sendto")


def test_bad_packets_change_nothing_and_are_counted(
        rig: Rig, dump: Dump) -> None:
    hub, server = rig(max_packet=1024)
    port = udp_port(server)
    oscsend(port, "/no/such/thing")
    oscsend(port, "/essence/chaos", "s", "yes")  # wrong type
    oscsend(port, "/essence/chaos", "i", "3")  # out of range
    oscsend(port, "/essence/param/glow", "f", "nan")
    oscsend(port, "/essence/param/glow", "d", "inf")
    oscsend(port, "/cue/*/start")  # patterns are not expanded
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"\x13\x37 not osc at all", (LOCAL, port))
        s.sendto(b"#bundle\x00" + b"\x00" * 8 + b"\x00\x00\x01\x00/go\x00", (LOCAL, port))
        s.sendto(build_message("/essence/param/" + "x" * 40, ["y" * 2000]), (LOCAL, port))
    expected = {"unknown_address": 1, "bad_type": 1, "bad_value": 4, "malformed": 2,
                "oversized": 1}
    assert wait_for(lambda: all(hub.counts().get(k, 0) >= n for k, n in expected.items()))
    assert {k: hub.counts().get(k, 0) for k in expected} == expected
    assert dump.reply("/no/such/thing")["status"] == "error"
    assert hub.drain() == []


def test_allow_list_refuses_other_loopback_sources(
        rig: Rig) -> None:
    hub, server = rig(allow="127.0.0.1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind(("127.0.0.2", 0))
        other.sendto(build_message("/go"), (LOCAL, udp_port(server)))
    assert wait_for(lambda: hub.counts().get("not_allowed", 0) == 1)
    oscsend(udp_port(server), "/stop")
    assert collect(hub, lambda g: bool(g)) == [Stop()]


def test_show_mode_refuses_editing(rig: Rig,
                                   dump: Dump) -> None:
    hub, server = rig(show_mode=True)
    oscsend(udp_port(server), "/essence/param/glow", "f", "0.5")
    assert dump.reply("/essence/param/glow") == {
        "workspace_id": "essence", "address": "/essence/param/glow", "status": "error",
        "data": "show mode"}
    oscsend(udp_port(server), "/cue/3/start")  # the locked sequencer would refuse these
    assert dump.reply("/cue/3/start") == {
        "workspace_id": "essence", "address": "/cue/3/start", "status": "error",
        "data": "show mode"}
    oscsend(udp_port(server), "/essence/chaos", "i", "1")
    assert dump.reply("/essence/chaos")["data"] == "show mode"
    oscsend(udp_port(server), "/go")
    assert collect(hub, lambda g: bool(g)) == [Go()]
    assert dump.reply("/go")["status"] == "ok"  # answered once the show applied it


def test_feedback_reaches_a_udp_subscriber(rig: Rig,
                                           dump: Dump) -> None:
    hub, server = rig()
    hub.publish(RigStatus(act=1, act_name="Arrival", cue_id="2", next_cue_id="3", faces=2))
    oscsend(udp_port(server), "/updates", "i", "1")
    assert dump.reply("/updates")["status"] == "ok"
    assert dump.expect("/essence/status/act")[1:] == ("i", "1")
    assert dump.expect("/essence/status/next")[1:] == ("s", '"3"')
    assert dump.expect("/essence/status/faces")[1:] == ("i", "2")
    hub.publish(RigStatus(act=1, act_name="Arrival", cue_id="3", next_cue_id="4", faces=7))
    assert dump.expect("/essence/status/faces", "7")[1] == "i"
    assert dump.expect("/update/workspace/essence/cueList/main/playbackPosition", '"4"')


def test_slip_tcp_client_gets_framed_replies_and_feedback(
        rig: Rig) -> None:
    hub, server = rig()
    hub.publish(RigStatus(act=3, state="armed"))
    decoder = StreamDecoder(max_packet=8192)
    received: list[tuple[str, tuple[object, ...]]] = []
    applied: list[Command] = []
    with socket.create_connection((LOCAL, tcp_port(server)), timeout=3) as tcp:
        tcp.settimeout(0.05)
        tcp.sendall(slip_encode(build_message("/updates", [1])) + slip_encode(
            build_message("/cue/5/start")))
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not {"/essence/status/state",
                                                   "/reply/cue/5/start"} <= {
                a for a, _ in received}:
            applied += collect(hub, lambda g: True, 0.0)
            try:
                data = tcp.recv(65536)
            except TimeoutError:
                continue
            for packet in decoder.feed(data):
                received += [(m.address, m.args) for m in parse_packet(packet)]
        assert decoder.mode is Framing.SLIP
        addresses = [a for a, _ in received]
        assert "/reply/updates" in addresses and "/reply/cue/5/start" in addresses
        assert ("/essence/status/state", ("armed",)) in received
        if isinstance(hub, ControlHub):  # the process's hub is out of reach
            assert len(hub.access.subscribers("tcp")) == 1
    if isinstance(hub, ControlHub):
        assert wait_for(lambda: not hub.access.subscribers("tcp"))  # closed: unsubscribed
    assert applied == [GotoCue("5", True)]


def test_sender_delivers_cue_messages_to_a_desk(dump: Dump) -> None:
    sender = OscSender()
    sender.start()
    try:
        assert sender.send(LOCAL, dump.port, "/eos/cue/1/5/fire", [5, 0.5, "go"])
        _, types, text = dump.expect("/eos/cue/1/5/fire")
        assert types == "ifs" and text.split(" ")[0] == "5"
        assert math.isclose(float(text.split(" ")[1]), 0.5)
        assert not sender.send(LOCAL, dump.port, "eos/no/slash")  # bad address refused at once
    finally:
        sender.stop()
    assert sender.sent == 1 and sender.errors == 1


def test_stop_is_prompt(rig: Rig) -> None:
    _, server = rig()
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 0.5
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:  # the port is free again
        s.bind((LOCAL, udp_port(server)))


def test_udp_reply_port_moves_one_senders_replies_as_qlab_does(rig: Rig, dump: Dump) -> None:
    """QLab's `/udpReplyPort <port>`: this sender's replies go to that port on its host from
    now on; everyone else's still go to the rig's reply port (oscdump here)."""
    _hub, server = rig()
    target = (LOCAL, udp_port(server))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as inbox:
        inbox.bind((LOCAL, 0))
        inbox.settimeout(5.0)
        port = inbox.getsockname()[1]
        sender.sendto(build_message("/udpReplyPort", [port]), target)
        first = parse_message(inbox.recv(65536))  # the answer already goes to the new port
        assert first.address == "/reply/udpReplyPort"
        assert json.loads(str(first.args[0]))["data"] == port  # the table: ok, data = port
        sender.sendto(build_message("/udpReplyPort"), target)
        asked = json.loads(str(parse_message(inbox.recv(65536)).args[0]))
        assert asked["data"] == port
        sender.sendto(build_message("/thump"), target)
        assert parse_message(inbox.recv(65536)).address == "/reply/thump"
        sender.sendto(build_message("/udpReplyPort", [70000]), target)
        refused = json.loads(str(parse_message(inbox.recv(65536)).args[0]))
        assert refused["status"] == "error"
    oscsend(udp_port(server), "/thump")  # another sender: the rig's reply port, as before
    assert dump.reply("/thump")["status"] == "ok"
