"""OSC messages for a recording: the hub keeps (address, host, reply status) of each message
it admits, and the OSC child's uplink carries them to the render process."""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import pickle

from performance.control.child import UNREAD_MAX, Report, Uplink
from performance.control.hub import ControlHub
from performance.control.replies import reply_status
from performance.control.shared import SharedLatest
from performance.control.wire import build_message
from performance.core.clock import ManualClock

CTX = mp.get_context("spawn")
A = ("udp", "10.0.0.7", 40001)


def test_the_hub_keeps_each_message_with_its_reply_status() -> None:
    hub = ControlHub(clock=ManualClock(1.0))
    hub.handle_packet(build_message("/thump"), A)
    hub.handle_packet(build_message("/go"), A)  # answered once the show applied it
    hub.handle_packet(build_message("/no/such/address"), A)
    hub.handle_packet(build_message("/essence/param/glow", [0.5]), A)
    assert hub.take_events() == [
        ("/thump", "10.0.0.7", "ok"), ("/go", "10.0.0.7", "none"),
        ("/no/such/address", "10.0.0.7", "error"), ("/essence/param/glow", "10.0.0.7", "none")]
    assert hub.take_events() == []  # taken once
    assert reply_status(None) == "none"


def test_the_uplink_sends_the_events_and_holds_them_while_the_pipe_is_full() -> None:
    hub = ControlHub(clock=ManualClock(1.0))
    reader, writer = CTX.Pipe(duplex=False)
    taken = ctypes.c_longlong(0)
    block = SharedLatest.create(CTX)
    uplink = Uplink(hub, writer, SharedLatest(block.handles), taken, ctypes.c_longlong(0))

    def events() -> list[object]:
        out = []
        while reader.poll(0):
            data = reader.recv_bytes()
            taken.value += len(data)
            kind, payload = pickle.loads(data)
            if kind is Report.EVENTS:
                out.extend(payload)
        return out

    hub.handle_packet(build_message("/thump"), A)
    uplink.send_events()
    assert events() == [("/thump", "10.0.0.7", "ok")]
    uplink.sent = taken.value + UNREAD_MAX  # the render process has not read for a while
    hub.handle_packet(build_message("/thump"), A)
    uplink.send_events()
    assert events() == []  # nothing leaves rather than fill the pipe; kept in the hub
    uplink.sent = taken.value
    uplink.send_events()
    assert events() == [("/thump", "10.0.0.7", "ok")]
