"""The show-mode key (ctrl+l): the hub takes it at once without a secret, the OSC process
sets it in the render process and its child follows (a stale report never flips it back),
a show without OSC control refuses it, and the operator overlay shows show mode."""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import pickle

from performance.config import DEFAULT_CUES
from performance.control.child import Downlink, Report, Uplink
from performance.control.hub import ControlHub
from performance.control.options import HubOptions
from performance.control.shared import SharedLatest
from performance.control.showmode import LocalShowMode
from performance.control.wire import build_message
from performance.core.clock import ManualClock
from performance.core.mailbox import CommandQueue
from performance.core.status import InputState, InputStatus
from performance.core.types import RoomEmotion
from performance.operator.info import OperatorInfo
from performance.operator.keys import KEYMAP, KeyAction, handle_keys
from performance.operator.preview import OperatorView
from performance.runtime.assemble import shader_catalog
from performance.show.commands import Command, SetChaosMode, SetShowMode
from performance.show.cuefile.load import load_cue_file
from performance.show.frame import Layer, ShowFrame
from performance.show.sequencer import Sequencer

CTX = mp.get_context("spawn")
A = ("udp", "127.0.0.1", 40001)


def test_ctrl_l_is_the_show_mode_key() -> None:
    assert KEYMAP["ctrl+l"] is KeyAction.SHOW_MODE and not KeyAction.SHOW_MODE.local
    queue: CommandQueue[Command] = CommandQueue()
    assert handle_keys(["ctrl+l"], queue, None) == []
    assert queue.drain() == [SetShowMode()]


def test_the_key_locks_and_unlocks_the_hub_even_with_a_passcode() -> None:
    hub = ControlHub(HubOptions(passcode="4821"), clock=ManualClock(1.0))
    hub.handle_packet(build_message("/connect", ["4821"]), A)
    handle_keys(["ctrl+l"], hub, None)
    assert hub.show_mode and hub.urgent.is_set()
    [reply] = hub.handle_packet(build_message("/essence/chaos", [1]), A)
    assert b"show mode" in reply
    handle_keys(["ctrl+l"], hub, None)
    assert not hub.show_mode
    assert hub.handle_packet(build_message("/essence/chaos", [1]), A) == []  # queued
    assert hub.drain() == [SetChaosMode(True)]  # the key's commands never reach the show


def test_local_show_mode_ignores_reports_older_than_the_key() -> None:
    mode = LocalShowMode(False)
    assert not mode.take(SetChaosMode(True))
    assert mode.take(SetShowMode()) and mode.on and mode.wanted == (1, True)
    mode.report(False, 0)  # the child had not seen the key yet: not flipped back
    assert mode.on
    mode.report(True, 1)
    mode.report(False, 1)  # OSC changed it in the child afterwards: taken
    assert not mode.on
    assert mode.take(SetShowMode(on=False)) and mode.wanted == (2, False)


def test_the_child_follows_the_key_and_acknowledges_it() -> None:
    hub = ControlHub(clock=ManualClock(1.0))
    reader, writer = CTX.Pipe(duplex=False)
    block = SharedLatest.create(CTX)
    taken = ctypes.c_longlong(0)
    uplink = Uplink(hub, writer, SharedLatest(block.handles), taken, ctypes.c_longlong(0))
    block.put(Downlink(None, None, show_mode=(1, True)))
    uplink.step()
    assert hub.show_mode
    kind, payload = pickle.loads(reader.recv_bytes())
    assert kind is Report.BATCH and payload[1] is True and payload[3] == 1
    block.put(Downlink(None, None, show_mode=(1, True)))  # the same change again: no flip
    hub.show_mode = False  # as if OSC had unlocked it since
    uplink.step()
    assert not hub.show_mode


def test_a_show_without_osc_control_refuses_the_key() -> None:
    seq = Sequencer(load_cue_file(DEFAULT_CUES, shader_catalog()))
    outcome = seq.handle(SetShowMode(), 1.0)
    assert not outcome.accepted and not seq.locked


def test_the_overlay_shows_show_mode() -> None:
    view = OperatorView(operator=True, camera_live=lambda: False)

    def first_line(locked: bool) -> str:
        show = ShowFrame(time=0.0, current=Layer("x"), locked=locked)
        info = OperatorInfo(now=0.0, frame=0, show=show, emotion=RoomEmotion(timestamp=0.0),
                            input_status=InputStatus(InputState.LIVE), messages=(),
                            stats=None, observations=None)
        return view.status_lines(info)[0][0]

    assert "SHOW MODE" in first_line(True) and "SHOW MODE" not in first_line(False)
