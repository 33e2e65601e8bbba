"""The operator overlay's cue lines for a real Sequencer on the default show
(cues/neo_lumen.toml): the standby cue with the GO key, and the running waits' countdowns
with their kinds, as the overlay's status panel shows them."""

from __future__ import annotations

import pytest

from performance.config import DEFAULT_CUES
from performance.core.status import InputState, InputStatus
from performance.core.types import CrowdReading, RoomEmotion
from performance.operator.info import OperatorInfo
from performance.operator.keys import KEYMAP, KeyAction
from performance.operator.preview import AMBER, WHITE, OperatorView
from performance.operator.standby import LineKind, cue_lines, go_key
from performance.runtime.assemble import shader_catalog
from performance.show.commands import Go, GotoCue, HoldCondition, Pause
from performance.show.cuefile.load import load_cue_file
from performance.show.sequencer import Sequencer

QUIET = RoomEmotion(timestamp=0.0)


@pytest.fixture(scope="module")
def cues():  # type: ignore[no-untyped-def]
    assert DEFAULT_CUES.name == "neo_lumen.toml"
    return load_cue_file(DEFAULT_CUES, shader_catalog())


def texts(seq: Sequencer, now: float, emotion: RoomEmotion = QUIET) -> list[str]:
    seq.tick(now, emotion)
    return [text for text, _ in cue_lines(seq.status(), "space")]


def test_before_go_the_first_cue_stands_by(cues) -> None:  # type: ignore[no-untyped-def]
    seq = Sequencer(cues)
    first = cues.cues[0]
    assert texts(seq, 0.0) == ["cue -", f"standby {first.id} {first.name} | GO [space]",
                               "waiting for GO"]
    seq.apply(Go(), 0.0)
    second = cues.cues[1]
    assert texts(seq, 0.1)[:2] == [f"cue {first.id} {first.name}",
                                   f"standby {second.id} {second.name} | GO [space]"]


def test_a_go_into_a_transition_then_a_pre_wait_counts_down_with_its_kind(cues) -> None:  # type: ignore[no-untyped-def]
    seq = Sequencer(cues)
    seq.apply(Go(), 0.0)  # 0 House dark (a cut)
    seq.tick(0.0, QUIET)
    gates = cues.cues[1]
    assert gates.transition.duration == 8.0
    seq.apply(Go(), 2.0)
    assert texts(seq, 2.0)[2] == "transition 8.0s"
    assert texts(seq, 5.0)[2] == "transition 5.0s"
    codes = cues.cues[2]
    assert codes.pre_wait == 1.0 and codes.post_wait == 12.0
    seq.apply(Go(), 11.0)  # into 1.5's pre-wait: it stands by until it fires
    lines = texts(seq, 11.0)
    assert lines[1] == f"standby {codes.id} {codes.name} | GO [space]"
    assert lines[2] == "pre-wait 1.0s"
    assert texts(seq, 11.6)[2] == "pre-wait 0.4s"
    lines = texts(seq, 12.5)  # fired at 12: its crossfade and its auto-continue's post-wait
    assert lines[0] == f"cue {codes.id} {codes.name}"
    assert lines[2] == "transition 3.5s | post-wait 11.5s"
    seq.apply(Pause(), 13.0)
    assert texts(seq, 14.0)[2] == "transition 3.0s | post-wait 11.0s | paused"  # frozen


def test_an_armed_condition_says_how_close_the_room_is_then_counts_down_or_holds(cues) -> None:  # type: ignore[no-untyped-def]
    seq = Sequencer(cues)
    assert seq.apply(GotoCue("3"), 0.0).accepted  # 3.5 waits for the room (face_count)
    assert texts(seq, 10.0)[2] == \
        'condition "face_count > 1.5 for 4s" waiting (room 0.00, needs 1.50)'
    room = RoomEmotion(timestamp=11.0, crowd=CrowdReading(face_count=2.0))
    assert texts(seq, 11.0, room)[2] == 'condition "face_count > 1.5 for 4s" 4.0s left'
    assert texts(seq, 12.5, room)[2] == 'condition "face_count > 1.5 for 4s" 2.5s left'
    seq.apply(HoldCondition(True), 13.0)
    assert texts(seq, 13.0, room)[2] == 'condition "face_count > 1.5 for 4s" held'


def test_the_go_key_comes_from_the_keymap() -> None:
    assert go_key(KEYMAP) == "space" and KEYMAP["space"] is KeyAction.GO
    assert go_key({"ctrl+q": KeyAction.QUIT, "g": KeyAction.GO}) == "g"
    assert go_key({"ctrl+q": KeyAction.QUIT}) is None  # a kiosk's keymap: no GO key
    assert cue_lines(Sequencer(load_cue_file(DEFAULT_CUES, shader_catalog())).status(),
                     None)[1][0].endswith("| GO: no key")


def test_the_end_of_the_list_stands_by_nothing(cues) -> None:  # type: ignore[no-untyped-def]
    seq = Sequencer(cues)
    last = cues.cues[-1]
    assert seq.apply(GotoCue(last.id), 0.0).accepted
    seq.tick(100.0, QUIET)
    lines = cue_lines(seq.status(), "space")
    assert lines[0] == (f"cue {last.id} {last.name}", LineKind.CUE)
    assert lines[1][0] == "standby end of the cue list | GO [space]"
    assert lines[2] == ("the last cue has fired", LineKind.COUNTDOWN)


def test_the_status_panel_carries_the_cue_lines(cues) -> None:  # type: ignore[no-untyped-def]
    seq = Sequencer(cues)
    seq.apply(Go(), 0.0)
    show = seq.tick(0.0, QUIET)
    seq.apply(Go(), 2.0)
    show = seq.tick(3.0, QUIET)
    info = OperatorInfo(now=3.0, frame=90, show=show, emotion=QUIET,
                        input_status=InputStatus(InputState.LIVE), messages=(), stats=None,
                        observations=None)
    plain = OperatorView(operator=True, camera_live=lambda: False).status_lines(info)
    lines = OperatorView(operator=True, camera_live=lambda: False,
                         sequencer=seq.status).status_lines(info)
    assert lines[0] == plain[0] and lines[0][0].startswith("act 1 The Access Enclaves")
    assert lines[1:4] == [("cue 1 The gates of Neo-Lumen", WHITE),
                          ("standby 1.5 Empathy Codes scanned at the threshold | GO [space]",
                           WHITE),
                          ("transition 7.0s", AMBER)]
    assert lines[4:] == plain[1:]  # the input line and the rest follow as before
