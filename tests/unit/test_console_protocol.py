"""The console's WebSocket messages: the state a page draws from a real sequencer's status on
a real show file, the commands a page may send (strict), the hub's replies, and the room's
history ring."""

from __future__ import annotations

import json

import pytest

from performance.config import DEFAULT_CUES
from performance.console.history import RoomHistory
from performance.console.protocol import (
    closeness,
    command_message,
    cues_message,
    host_ok,
    parse_command,
    reply_message,
    state_message,
    without_status,
)
from performance.control.feedback import RigStatus
from performance.control.hub import ControlHub
from performance.control.outline import cue_rows, input_rows
from performance.control.replies import reply_packet
from performance.control.wire import build_message, parse_packet
from performance.core.status import SoundState
from performance.core.types import EMOTIONS, CrowdReading, RoomEmotion
from performance.runtime.assemble import shader_catalog
from performance.runtime.showstatus import StatusBuilder
from performance.show.commands import Go
from performance.show.cuefile.load import load_cue_file
from performance.show.sequencer import Sequencer

CUES = load_cue_file(DEFAULT_CUES, shader_catalog())


def _status(seq: Sequencer, room: CrowdReading, visual: str) -> RigStatus:
    builder = StatusBuilder()
    builder.visual_changed(seq, visual)  # the showing visual's input rows
    return builder.build(seq, room, fps=59.7, health="ok", stats=None, show_mode=False,
                         report="", recording=False, sound=SoundState.OK,
                         input_health="live")


def test_the_state_lists_the_cues_by_act_with_the_playhead_and_the_running_cue() -> None:
    seq = Sequencer(CUES)
    room = RoomEmotion(timestamp=0.0, crowd=CrowdReading(face_count=3.0, valence=0.25, chaos=0.5))
    seq.tick(0.0, room)
    seq.apply(Go(), 0.0)
    seq.apply(Go(), 1.0)
    seq.tick(1.5, room)
    status = _status(seq, room.crowd, CUES.cues[1].visual)
    state = state_message(status)
    assert json.loads(json.dumps(state)) == state  # JSON-ready
    assert "acts" not in state  # the cue list is its own message, sent when it changes
    cues = cues_message(status)
    assert cues["type"] == "cues" and json.loads(json.dumps(cues)) == cues
    acts = cues["acts"]
    assert isinstance(acts, list)
    assert [a["number"] for a in acts] == sorted({c.act for c in CUES.cues})
    listed = [c for a in acts for c in a["cues"]]
    assert [c["id"] for c in listed] == [c.id for c in CUES.cues]
    running = [c["id"] for c in listed if c["running"]]
    playhead = [c["id"] for c in listed if c["playhead"]]
    assert running == [CUES.cues[1].id] and playhead == [CUES.cues[2].id]
    assert state["standby"] == {"id": CUES.cues[2].id, "name": CUES.cues[2].name}
    row = next(c for c in listed if c["id"] == CUES.cues[2].id)
    assert (row["pre_wait"], row["post_wait"], row["next"]) == (
        CUES.cues[2].pre_wait, CUES.cues[2].post_wait, CUES.cues[2].next.value)
    waits = state["waits"]
    assert isinstance(waits, dict) and waits["transition"] == pytest.approx(
        CUES.cues[1].transition.duration - 0.5, abs=1e-3)
    room_out = state["room"]
    assert isinstance(room_out, dict)
    assert room_out["faces"] == 3 and room_out["chaos"] == 0.5
    assert [e["name"] for e in room_out["emotions"]] == list(EMOTIONS)
    inputs = state["inputs"]
    assert isinstance(inputs, list)
    assert [i["name"] for i in inputs] == list(CUES.inputs_of(CUES.cues[1].visual))
    assert all(i["value"] is not None and i["min"] is not None for i in inputs)


def test_the_armed_condition_says_how_close_the_room_is() -> None:
    status = RigStatus(condition="chaos > 0.7 for 2s", condition_metric="chaos",
                       condition_value=0.35, condition_threshold=0.7, condition_left=None)
    condition = state_message(status)["condition"]
    assert isinstance(condition, dict)
    assert condition["closeness"] == pytest.approx(0.5) and not condition["met"]
    met = state_message(RigStatus(condition="chaos > 0.7 for 2s", condition_metric="chaos",
                                  condition_value=0.9, condition_threshold=0.7,
                                  condition_left=1.25))["condition"]
    assert isinstance(met, dict) and met["closeness"] == 1.0 and met["left"] == 1.25
    assert closeness("valence", False, 0.05, -0.3) == pytest.approx(0.5)  # half way from -1
    assert closeness("valence", False, -0.5, -0.3) == 1.0
    assert state_message(RigStatus())["condition"] is None


def test_the_hub_show_mode_overrides_the_published_one() -> None:
    assert state_message(RigStatus(show_mode=False), show_mode=True)["show_mode"] is True
    assert cues_message(None)["acts"] == []


@pytest.mark.parametrize(("command", "expected"), [
    ({"op": "go"}, ("/essence/go", [])),
    ({"op": "back"}, ("/essence/back", [])),
    ({"op": "panic"}, ("/panic", [])),
    ({"op": "stop"}, ("/stop", [])),
    ({"op": "pause"}, ("/pause", [])),
    ({"op": "resume"}, ("/resume", [])),
    ({"op": "blackout"}, ("/essence/blackout", [])),
    ({"op": "blackout", "on": 1}, ("/essence/blackout", [1])),
    ({"op": "hold", "on": True}, ("/essence/hold", [1])),
    ({"op": "showmode", "on": 0}, ("/essence/showmode", [0])),
    ({"op": "goto", "cue": "3.5"}, ("/essence/goto", ["3.5"])),
    ({"op": "goto", "cue": 7}, ("/essence/goto", ["7"])),
    ({"op": "param", "name": "grain", "value": 0.5}, ("/essence/param/grain", [0.5])),
    ({"op": "param", "name": "pos", "value": [0.1, 0.9]}, ("/essence/param/pos", [0.1, 0.9])),
    ({"op": "connect", "code": "s3cret"}, ("/connect", ["s3cret"])),
])
def test_a_page_command_becomes_the_osc_message_the_hub_takes(
        command: dict[str, object], expected: tuple[str, list[object]]) -> None:
    address, args = command_message(command)
    assert (address, args) == expected
    assert parse_packet(build_message(address, args))[0].address == address


@pytest.mark.parametrize(("command", "match"), [
    ({"op": "fire"}, "unknown op 'fire'"),
    ({}, "unknown op"),
    ([], "JSON object"),
    ({"op": "hold"}, "hold: 'on' must be 0 or 1"),
    ({"op": "hold", "on": 2}, "must be 0 or 1"),
    ({"op": "goto", "cue": "../etc"}, "is not a cue id"),
    ({"op": "goto"}, "is not a cue id"),
    ({"op": "param", "name": "a/b", "value": 1}, "is not an input name"),
    ({"op": "param", "name": "grain", "value": "x"}, "is not a number"),
    ({"op": "param", "name": "grain", "value": float("nan")}, "out of range"),
    ({"op": "param", "name": "grain", "value": True}, "is not a number"),
    ({"op": "param", "name": "grain", "value": [1, 2, 3, 4, 5]}, "1 to 4 numbers"),
    ({"op": "connect", "code": "x" * 65}, "at most 64"),
])
def test_a_bad_command_is_refused_naming_what_is_wrong(command: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        command_message(command)


@pytest.mark.parametrize(("text", "match"), [
    ("[" * 2040 + "]" * 2040, "nested too deep"),  # RecursionError in the JSON parser
    ('{"op": "param", "name": "grain", "value": ' + "9" * 400 + "}", "out of range"),
    ('{"op": "param", "name": "grain", "value": [1, ' + "9" * 400 + "]}", "out of range"),
    ('{"op": "goto", "cue": ' + "9" * 400 + "}", "is not a cue id"),  # OverflowError in format
    ("{not json", "Expecting property name"),
    ('"go"', "JSON object"),
])
def test_any_malformed_page_message_is_one_value_error(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match) as refused:
        parse_command(text)
    assert "\n" not in str(refused.value) and len(str(refused.value)) <= 200


def test_the_request_checks_refuse_other_hosts_and_keep_the_status_private() -> None:
    names = ("rig", "rig.local")
    assert host_ok("127.0.0.1", local=True, names=names)
    assert host_ok("localhost", local=True, names=names)
    assert not host_ok("evil.example", local=True, names=names)
    assert not host_ok("192.168.1.5", local=True, names=names)  # loopback console: loopback
    for good in ("192.168.1.5", "[::1]", "RIG.local", "rig", "localhost"):
        assert host_ok(good, local=False, names=names), good
    assert not host_ok("evil.example", local=False, names=names)
    tree = {"FULL_PATH": "/", "CONTENTS": {"essence": {"FULL_PATH": "/essence", "CONTENTS": {
        "go": {"FULL_PATH": "/essence/go"},
        "status": {"FULL_PATH": "/essence/status", "CONTENTS": {}}}}}}
    kept = without_status(tree)
    assert isinstance(kept, dict)
    assert list(kept["CONTENTS"]["essence"]["CONTENTS"]) == ["go"]
    assert "status" in tree["CONTENTS"]["essence"]["CONTENTS"]  # a copy: the tree is kept


def test_the_hubs_replies_become_the_pages_replies() -> None:
    hub = ControlHub()
    hub.show_mode = True
    replies = hub.handle_packet(build_message("/essence/param/grain", [0.5]), ("ws", "h", 1))
    assert [reply_message(r) for r in replies] == [{
        "type": "reply", "address": "/essence/param/grain", "status": "error",
        "data": "show mode"}]
    ok = reply_message(reply_packet("/essence/go", "ok"))
    assert (ok["status"], ok["data"]) == ("ok", None)
    assert reply_message(b"junk")["status"] == "error"


def test_the_history_samples_at_two_hertz_and_keeps_the_last_minutes() -> None:
    history = RoomHistory(seconds=10.0, every=0.5)
    status = RigStatus(faces=2, room=CrowdReading(valence=0.5, arousal=-0.25, chaos=0.75))
    taken = [history.sample(status, t / 10) for t in range(0, 300)]  # 30 s at 10 Hz
    assert sum(s is not None for s in taken) == 60
    samples = history.snapshot()
    assert len(samples) == 20  # 10 s of them
    assert samples[0][0] == pytest.approx(20.0) and samples[-1][0] == pytest.approx(29.5)
    assert samples[-1][1:] == [2.0, 0.5, -0.25, 0.75]
    assert history.sample(None, 100.0) is None
    odd = RigStatus(faces=1, room=CrowdReading(valence=float("nan"), arousal=float("inf"),
                                               chaos=0.5))
    sample = RoomHistory().sample(odd, 1.0)
    assert sample is not None and sample.as_list() == [1.0, 1.0, None, None, 0.5]
    json.dumps(sample.as_list(), allow_nan=False)  # JSON.parse takes it
    nan_input = state_message(RigStatus(pre_wait_left=float("nan")))
    json.dumps(nan_input, allow_nan=False)
    rows = cue_rows(CUES)
    assert input_rows(()) == () and rows  # the outline's builders the console reads
