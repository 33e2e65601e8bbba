"""The OSC process's parts without a child: the shared newest-wins block, the gate's
vouching, and the uplink's flow control (what leaves for the render process, and when)."""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import pickle
from multiprocessing.connection import Connection

from performance.config import DEFAULT_CUES
from performance.control.child import (
    PARAM_UNREAD_MAX,
    UNREAD_MAX,
    Downlink,
    Report,
    Uplink,
)
from performance.control.feedback import RigStatus
from performance.control.hub import ControlHub
from performance.control.requests import Request
from performance.control.shared import SharedLatest
from performance.control.wire import build_message
from performance.core.clock import ManualClock
from performance.runtime.assemble import shader_catalog
from performance.show.commands import Command, Go, SetInput, ShowModeChanged, Stop
from performance.show.cuefile.load import load_cue_file
from performance.show.gogate import GoGate
from performance.show.sequencer import Sequencer

CTX = mp.get_context("spawn")
A = ("udp", "127.0.0.1", 40001)


def test_shared_latest_hands_over_the_newest_value_once() -> None:
    block = SharedLatest.create(CTX, capacity=256)
    reader = SharedLatest(block.handles)
    assert reader.take() == (False, None)
    assert block.put({"a": 1}) and block.put({"a": 2})
    assert reader.take() == (True, {"a": 2})  # newest wins, nothing queued
    assert reader.take() == (False, None)  # taken once
    assert not block.put("x" * 1000)  # too large: refused, the old value stays whole
    assert reader.take() == (False, None)


def test_a_value_being_written_is_skipped_until_complete() -> None:
    block = SharedLatest.create(CTX, capacity=256)
    reader = SharedLatest(block.handles)
    block.put("first")
    block.handles.header[0] += 1  # odd: a writer is in the middle of a copy
    assert reader.take() == (False, None)
    block.handles.header[0] += 1
    assert reader.take() == (True, "first")


def test_a_vouched_go_is_recorded_and_redeemable_once() -> None:
    gate = GoGate(0.25)
    first, second = gate.vouch(10.0), gate.vouch(10.0)  # both admitted elsewhere
    assert gate.redeem(first) and gate.redeem(second) and not gate.redeem(first)
    assert not gate.press(10.1)  # a key within the interval of a vouched GO
    assert gate.press(10.3)


def test_the_sequencer_fires_two_vouched_gos_of_one_frame() -> None:
    seq = Sequencer(load_cue_file(DEFAULT_CUES, shader_catalog()))
    gos = [Go(seq.go_gate.vouch(5.0)), Go(seq.go_gate.vouch(5.0))]
    assert [seq.handle(g, 5.0).accepted for g in gos] == [True, True]
    assert seq.status().cue_id == seq.cues.cues[1].id


class Pipe:
    """The uplink's pipe and the render process's side of it, in one process."""

    def __init__(self, hub: ControlHub) -> None:
        reader, writer = CTX.Pipe(duplex=False)
        self.reader: Connection = reader
        self.taken = ctypes.c_longlong(0)
        self.block = SharedLatest.create(CTX)
        self.uplink = Uplink(hub, writer, SharedLatest(self.block.handles), self.taken,
                             ctypes.c_longlong(0))

    def reports(self, *, read: bool = True) -> list[tuple[Report, object]]:
        """What the uplink sent; `read` counts it as read by the render process."""
        out = []
        while self.reader.poll(0):
            data = self.reader.recv_bytes()
            if read:
                self.taken.value += len(data)
            out.append(pickle.loads(data))
        return out

    def commands(self, *, read: bool = True) -> list[Command]:
        return [r.command for kind, payload in self.reports(read=read)
                if kind is Report.BATCH for r in payload[0]]


def param(hub: ControlHub, value: float) -> None:
    hub.handle_packet(build_message("/essence/param/glow", [value]), A)


def test_parameters_leave_at_most_once_a_period_and_a_go_at_once() -> None:
    clock = ManualClock(1.0)
    hub = ControlHub(clock=clock)
    pipe = Pipe(hub)
    param(hub, 0.25)
    pipe.uplink.step()
    assert pipe.commands() == [SetInput("glow", 0.25)]
    param(hub, 0.5)
    param(hub, 0.75)  # within the period: they wait here, coalesced
    pipe.uplink.step()
    assert pipe.commands() == []
    hub.handle_packet(build_message("/go"), A)  # a GO does not wait for the period
    pipe.uplink.step()
    assert pipe.commands() == [Go(), SetInput("glow", 0.75)]
    assert hub.counts()["coalesced"] == 1


def test_unread_bytes_hold_parameters_first_then_everything() -> None:
    clock = ManualClock(1.0)
    hub = ControlHub(clock=clock)
    pipe = Pipe(hub)
    pipe.uplink.sent = PARAM_UNREAD_MAX  # as if the render process were busy elsewhere
    param(hub, 0.5)
    clock.advance(1.0)
    pipe.uplink.step()
    assert pipe.commands(read=False) == []  # parameters wait while the pipe fills
    hub.handle_packet(build_message("/stop"), A)
    pipe.uplink.step()
    assert pipe.commands(read=False) == [Stop(), SetInput("glow", 0.5)]
    pipe.uplink.sent = UNREAD_MAX
    hub.handle_packet(build_message("/go"), A)
    pipe.uplink.step()
    assert pipe.commands(read=False) == []  # nothing, rather than a full pipe
    pipe.taken.value = pipe.uplink.sent  # the render process read it all
    pipe.uplink.step()
    assert pipe.commands() == [Go()]


def test_status_ranges_and_show_mode_cross_between_the_processes() -> None:
    hub = ControlHub(clock=ManualClock(1.0))
    pipe = Pipe(hub)
    status = RigStatus(act=2, cue_id="3")
    pipe.block.put(Downlink(status, {"glow": (0.0, 1.0)}))
    pipe.uplink.step()
    assert hub.status.peek() == status and hub.param_ranges == {"glow": (0.0, 1.0)}
    hub.handle_packet(build_message("/essence/showmode", [1]), A)
    pipe.uplink.step()
    [(_, payload)] = [r for r in pipe.reports() if r[0] is Report.BATCH]
    # the flag, and the change among the commands for the sequencer's lock
    assert payload[0] == [Request(ShowModeChanged(True))] and payload[1] is True


def test_a_go_the_show_took_from_a_key_makes_an_osc_go_too_soon() -> None:
    clock = ManualClock(1.0)
    hub = ControlHub(clock=clock, go_gate=GoGate(0.25))
    pipe = Pipe(hub)
    pipe.block.put(Downlink(None, None, local_presses=3))  # presses before this child
    pipe.uplink.step()
    assert hub.handle_packet(build_message("/go"), A) == []  # admitted: answered once applied
    clock.advance(1.0)
    pipe.block.put(Downlink(None, None, local_presses=4))  # a key's GO, just now
    pipe.uplink.step()
    clock.advance(0.1)
    [reply] = hub.handle_packet(build_message("/go"), A)
    assert b"too soon" in reply
