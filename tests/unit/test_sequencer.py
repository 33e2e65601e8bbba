"""The cue sequencer as a pure state machine: every test drives it with explicit times."""

from __future__ import annotations

from pathlib import Path

import pytest

from performance.config import DEFAULT_CUES
from performance.core.clock import ManualClock
from performance.core.types import CrowdReading, RoomEmotion
from performance.runtime.assemble import shader_catalog
from performance.show.commands import (
    Back,
    Blackout,
    Go,
    GotoCue,
    HardStop,
    HoldCondition,
    Panic,
    Pause,
    Resume,
    SetChaosMode,
    SetInput,
    SetPlayhead,
    Stop,
)
from performance.show.cuefile.load import load_cue_file, parse_cue_text
from performance.show.frame import ShowFrame
from performance.show.seqoptions import Outcome, SequencerOptions
from performance.show.sequencer import Sequencer

CATALOG = shader_catalog()

SHOW = """\
[show]
osc_target = "127.0.0.1:9000"

[[act]]
number = 1
name = "Enclaves"
sound = { level = 0.5, palette = "enclave" }
[act.map]
speed = { source = "arousal", scale = 0.5, offset = 0.5 }

[[act]]
number = 2
name = "Showdown"
sound = { level = 0.9, palette = "essence" }

[[cue]]
id = "1"
name = "Gates"
act = 1
visual = "enclave"
inputs = { intensity = 0.4 }
transition = { duration = 2.0, easing = "linear" }

[[cue]]
id = "2"
name = "Core"
act = 1
visual = "essence_module"
transition = { duration = 4.0, easing = "linear" }
pre_wait = 1.0
next = "auto_continue"
post_wait = 3.0
[[cue.osc]]
address = "/light/2"
args = [2, "go"]
[[cue.osc]]
address = "/qlab/go"
target = "10.0.0.7:53000"

[[cue]]
id = "3"
name = "Gates again"
act = 1
visual = "enclave"
inputs = { intensity = 1.6 }
transition = { duration = 2.0, easing = "linear" }
next = "auto_follow"

[[cue]]
id = "4"
name = "Rings"
act = 2
visual = "crowd_chaos"
transition = { duration = 1.0, easing = "linear" }
next = "auto_continue"
post_wait = 1.0

[[cue]]
id = "5"
name = "Raid"
act = 2
visual = "essence_module"
transition = { duration = 0.0, easing = "cut" }
when = { metric = "chaos", above = 0.7, for_s = 2.0, min_faces = 2 }

[[cue]]
id = "6"
name = "Dark"
act = 2
visual = "blackout"
transition = { duration = 1.0, easing = "linear" }
"""

CALM = RoomEmotion(timestamp=0.0)


def room(**crowd: float) -> RoomEmotion:
    return RoomEmotion(timestamp=0.0, crowd=CrowdReading(**crowd))


def make(text: str = SHOW, **options: float) -> Sequencer:
    return Sequencer(parse_cue_text(text, Path("test.toml"), CATALOG),
                     SequencerOptions(**options))  # type: ignore[arg-type]


def at(seq: Sequencer, t: float, emotion: RoomEmotion = CALM) -> ShowFrame:
    return seq.tick(t, emotion)


def test_standby_shows_black_until_the_first_go() -> None:
    seq = make()
    state = at(seq, 0.0)
    assert state.current.visual == "blackout" and state.cue_id is None
    assert state.next_cue_id == "1" and seq.status().phase == "standby"


def test_go_crossfades_with_the_cues_easing() -> None:
    seq = make()
    at(seq, 0.0)
    seq.apply(Go(), 1.0)
    half = at(seq, 2.0)
    assert (half.current.visual, half.previous and half.previous.visual) == ("enclave",
                                                                             "blackout")
    assert half.mix == pytest.approx(0.5) and half.cue_progress == pytest.approx(0.5)
    assert half.cue_id == "1" and half.act == 1 and half.act_name == "Enclaves"
    done = at(seq, 3.0)
    assert done.previous is None and done.mix == 1.0 and done.next_cue_id == "2"
    assert done.current.inputs["intensity"] == 0.4
    assert done.sound.palette == "enclave" and done.sound.level == 0.5
    assert seq.status().phase == "ready"


def test_pre_wait_then_post_wait_then_auto_follow_chain() -> None:
    seq = make()
    seq.apply(GotoCue("1"), 0.0)
    seq.apply(Go(), 10.0)
    waiting = at(seq, 10.5)
    assert waiting.cue_id == "1" and waiting.countdown == pytest.approx(0.5)
    assert waiting.next_cue_id == "2" and seq.status().phase == "pre_wait"
    assert at(seq, 10.99).cue_id == "1"
    fired = at(seq, 11.0)
    assert fired.cue_id == "2" and fired.mix == 0.0
    assert seq.status().post_wait_left == pytest.approx(3.0)
    assert at(seq, 13.99).cue_id == "2"
    assert at(seq, 14.0).cue_id == "3"           # auto-continue 3 s after cue 2 fired
    assert seq.status().follow_left == pytest.approx(2.0)
    assert at(seq, 15.99).cue_id == "3"
    assert at(seq, 16.0).cue_id == "4"           # auto-follow when cue 3's transition ends
    assert at(seq, 17.0).cue_id == "4" and seq.status().phase == "armed"   # chain stops


def test_chains_run_at_their_exact_times_even_with_one_late_tick() -> None:
    seq = make()
    seq.apply(GotoCue("1"), 0.0)
    seq.apply(Go(), 10.0)
    state = at(seq, 16.5)  # one tick long after the chain 2 -> 3 -> 4 ran
    assert state.cue_id == "4"
    assert state.mix == pytest.approx(0.5)       # cue 4 fired at exactly 16.0


def test_auto_chain_stops_at_an_armed_cue() -> None:
    seq = make()
    seq.apply(GotoCue("4"), 0.0)
    seq.apply(SetPlayhead("5"), 0.0)
    assert at(seq, 30.0).cue_id == "4"
    assert seq.status().phase == "armed"
    assert seq.status().condition == "chaos > 0.7 for 2s, >= 2 faces"


def test_goto_and_back_fire_at_once_without_following() -> None:
    seq = make()
    seq.apply(GotoCue("2"), 0.0)
    state = at(seq, 20.0)
    assert state.cue_id == "2" and state.next_cue_id == "3"   # no pre-wait, no auto-continue
    seq.apply(Back(), 20.0)
    assert at(seq, 20.0).cue_id == "1"
    seq.apply(Back(), 21.0)
    assert seq.refusals.last == "no earlier cue"
    seq.apply(GotoCue("99"), 22.0)
    assert seq.refusals.last == "no cue 99"


def test_go_during_a_pre_wait_fires_that_cue_now() -> None:
    seq = make()
    seq.apply(GotoCue("1"), 0.0)
    seq.apply(Go(), 5.0)
    seq.apply(Go(), 5.3)
    state = at(seq, 5.3)
    assert state.cue_id == "2" and state.next_cue_id == "3"


def test_a_fade_mid_transition_starts_from_what_is_showing() -> None:
    seq = make()
    seq.apply(GotoCue("1"), 0.0)                  # blackout -> enclave over 2 s
    seq.apply(GotoCue("2"), 0.5)                  # enclave only 25 % in: black dominates
    early = at(seq, 0.5)
    assert early.previous is not None and early.previous.visual == "blackout"
    seq.apply(GotoCue("1"), 3.0)                  # essence -> enclave (4 s fade, 62 % in)
    late = at(seq, 3.0)
    assert late.previous is not None and late.previous.visual == "essence_module"


def test_same_visual_transitions_blend_the_inputs() -> None:
    seq = make()
    seq.apply(GotoCue("1"), 0.0)
    at(seq, 5.0)
    seq.apply(GotoCue("3"), 5.0)                  # enclave 0.4 -> enclave 1.6 over 2 s
    mid = at(seq, 6.0)
    assert mid.previous is None and mid.current.visual == "enclave"
    assert mid.current.inputs["intensity"] == pytest.approx(1.0)
    assert at(seq, 7.0).current.inputs["intensity"] == pytest.approx(1.6)


def test_panic_fades_and_a_second_panic_cuts() -> None:
    seq = make(panic_fade=2.0, double_panic_window=2.0, restore_fade=1.0)
    seq.apply(GotoCue("1"), 0.0)
    seq.apply(Go(), 1.0)                           # cue 2 waits in its pre-wait
    seq.apply(Panic(), 1.5)
    state = at(seq, 2.5)
    assert state.master == pytest.approx(0.5) and state.status == "panic"
    assert at(seq, 9.0).cue_id == "1"              # the pending cue never fired
    assert at(seq, 9.0).master == 0.0
    seq.apply(Go(), 30.0)                           # GO brings the show back
    back = at(seq, 30.5)
    assert back.master == pytest.approx(0.5) and back.status != "panic"
    assert at(seq, 32.0).master == 1.0
    seq.apply(Panic(), 40.0)
    assert at(seq, 40.5).master == pytest.approx(0.75)
    seq.apply(Panic(), 41.0)                       # within 2 s: cut at once
    assert at(seq, 41.0).master == 0.0
    seq.apply(Panic(), 50.0)
    seq.apply(Go(), 60.0)
    seq.apply(Panic(), 61.0)                       # long after the last panic: a fade again
    assert at(seq, 61.5).master == pytest.approx(0.75)


def test_hard_stop_cuts_at_once_and_go_restores() -> None:
    seq = make(panic_fade=2.0, restore_fade=1.0)
    seq.apply(GotoCue("1"), 0.0)
    assert at(seq, 1.0).master == 1.0
    seq.apply(HardStop(), 2.0)
    cut = at(seq, 2.0)
    assert cut.master == 0.0 and cut.status == "panic"
    seq.apply(Go(), 5.0)
    assert at(seq, 5.5).master == pytest.approx(0.5)


def test_blackout_toggles_with_fades_from_the_current_level() -> None:
    seq = make(blackout_fade=1.0)
    seq.apply(GotoCue("1"), 0.0)
    seq.apply(Blackout(), 10.0)
    assert at(seq, 10.5).master == pytest.approx(0.5)
    assert at(seq, 10.5).status == "blackout"
    seq.apply(Blackout(), 10.5)                    # back up from 0.5, not from 0
    assert at(seq, 10.75).master == pytest.approx(0.625)
    assert at(seq, 11.5).master == 1.0
    seq.apply(Blackout(on=True), 12.0)
    seq.apply(Blackout(on=True), 12.5)
    assert at(seq, 13.0).master == 0.0


def test_pause_freezes_a_wait_and_resume_continues_it() -> None:
    seq = make()
    seq.apply(GotoCue("1"), 0.0)
    seq.apply(Go(), 10.0)
    seq.apply(Pause(), 10.5)
    frozen = at(seq, 50.0)
    assert frozen.cue_id == "1" and frozen.countdown == pytest.approx(0.5)
    assert frozen.status == "paused"
    seq.apply(Resume(), 50.0)
    assert at(seq, 50.49).cue_id == "1"
    assert at(seq, 50.5).cue_id == "2"


def test_stop_cancels_waits_and_follows() -> None:
    seq = make()
    seq.apply(GotoCue("1"), 0.0)
    seq.apply(Go(), 1.0)
    seq.apply(Stop(), 1.5)
    assert at(seq, 10.0).cue_id == "1"
    seq.apply(Go(), 11.0)
    at(seq, 12.0)
    seq.apply(Stop(), 12.5)                         # cancels cue 2's auto-continue
    assert at(seq, 30.0).cue_id == "2"


def test_a_second_go_within_the_minimum_interval_is_ignored() -> None:
    seq = make(min_go_interval=0.25)
    seq.apply(Go(), 1.0)
    seq.apply(Go(), 1.1)
    assert at(seq, 1.2).cue_id == "1" and seq.ignored_gos == 1
    assert seq.status().last_refusal == "too soon"
    seq.apply(Go(), 1.4)
    assert at(seq, 2.5).cue_id == "2"                 # fired after its 1 s pre-wait
    assert seq.ignored_gos == 1


def test_condition_fires_after_holding_for_its_time_with_enough_faces() -> None:
    seq = make()
    seq.apply(GotoCue("4"), 0.0)
    seq.apply(SetPlayhead("5"), 0.0)
    wild = room(chaos=0.9, face_count=3)
    at(seq, 1.0, room(chaos=0.9, face_count=1))      # too few faces
    at(seq, 5.0, room(chaos=0.9, face_count=1))
    assert at(seq, 5.0).cue_id == "4"
    at(seq, 6.0, wild)
    assert at(seq, 7.0, wild).countdown == pytest.approx(1.0)
    at(seq, 7.5, room(chaos=0.5, face_count=3))      # the room calms: start over
    at(seq, 8.0, wild)
    assert at(seq, 9.9, wild).cue_id == "4"
    state = at(seq, 10.0, wild)
    assert state.cue_id == "5" and state.act_name == "Showdown"


def test_go_overrides_and_hold_suspends_a_condition() -> None:
    seq = make()
    seq.apply(GotoCue("4"), 0.0)
    seq.apply(SetPlayhead("5"), 0.0)
    seq.apply(HoldCondition(True), 0.0)
    wild = room(chaos=0.9, face_count=3)
    for t in (1.0, 2.0, 4.0, 6.0):
        state = at(seq, t, wild)
    assert state.cue_id == "4" and seq.status().phase == "held"
    seq.apply(HoldCondition(False), 6.0)
    at(seq, 6.0, wild)
    assert at(seq, 8.0, wild).cue_id == "5"
    seq.apply(GotoCue("4"), 9.0)
    seq.apply(SetPlayhead("5"), 9.0)
    seq.apply(Go(), 9.5)                              # calm room, GO fires it anyway
    assert at(seq, 9.5).cue_id == "5"


def test_locked_mode_refuses_editing_commands() -> None:
    seq = make()
    seq.apply(GotoCue("1"), 0.0)
    seq.locked = True
    assert seq.status().locked
    outcome = seq.handle(SetInput("intensity", 1.5), 1.0)
    assert not outcome.accepted and outcome.reason == "show mode"
    assert not seq.handle(SetChaosMode(True), 1.0).accepted
    assert not seq.handle(GotoCue("3"), 1.0).accepted
    assert at(seq, 1.0).current.inputs["intensity"] == 0.4
    assert seq.handle(Go(), 1.0).accepted              # GO, Panic & co. still work
    assert seq.handle(Panic(), 1.5).accepted
    assert at(seq, 2.0).cue_id == "1"


def test_rewind_goes_back_to_the_first_cue_even_when_locked() -> None:
    seq = make()
    seq.apply(Go(), 0.0)                               # cue 1
    seq.apply(Go(), 3.0)                               # cue 2's pre-wait runs
    assert seq.status().phase == "pre_wait"
    seq.locked = True
    seq.rewind()                                       # not a command: the lock allows it
    status = seq.status()
    assert (status.phase, status.cue_id, status.next_cue_id) == ("ready", "1", "1")
    assert status.countdown is None and seq.refusals.count == 0
    assert at(seq, 10.0).cue_id == "1"                 # the cancelled pre-wait never fires
    assert seq.handle(Go(), 10.0).accepted
    assert at(seq, 10.5).next_cue_id == "2" and seq.status().phase == "transition"


def test_the_stage_status_and_countdown_follow_the_sequencer_status() -> None:
    on_stage = {"pre_wait": "running", "transition": "running", "post_wait": "running",
                "follow": "running", "ready": "running", "held": "running",
                "armed": "armed", "ended": "ended", "paused": "paused"}
    seq = make()
    seq.apply(Go(), 0.0)
    seq.apply(Go(), 3.0)
    seen = set()
    for step in range(1, 400):
        t = 3.0 + step * 0.1
        if step == 5:
            seq.apply(Pause(), t)
        if step == 10:
            seq.apply(Resume(), t)
        if seq.status().phase == "ready" and t > 20:
            seq.apply(Go(), t)
        state = at(seq, t, room(chaos=0.9, face_count=3) if t > 25 else CALM)
        status = seq.status()
        assert state.status == on_stage[status.phase], (t, status.phase)
        assert state.countdown == status.countdown
        assert (state.cue_id, state.next_cue_id) == (status.cue_id, status.next_cue_id)
        seen.add(status.phase)
    assert seen >= {"pre_wait", "transition", "post_wait", "follow", "armed", "ended",
                    "paused"}


def test_countdown_is_the_first_running_wait() -> None:
    from performance.show.status import SequencerPhase as P
    from performance.show.status import SequencerStatus

    assert SequencerStatus(P.FOLLOW, follow_left=2.0, condition_left=1.0).countdown == 2.0
    assert SequencerStatus(P.PRE_WAIT, pre_wait_left=0.0, post_wait_left=3.0).countdown == 0.0
    assert SequencerStatus(P.ARMED, condition_left=1.5).countdown == 1.5
    assert SequencerStatus(P.READY).countdown is None


def test_set_input_refuses_out_of_range_values_and_undeclared_names() -> None:
    seq = make()
    seq.apply(GotoCue("1"), 0.0)
    assert seq.handle(SetInput("intensity", 2.0), 1.0).accepted
    assert at(seq, 3.0).current.inputs["intensity"] == 2.0
    out = seq.handle(SetInput("intensity", 9.0), 3.0)  # one rule with OSC: refused, not clamped
    assert not out.accepted and out.reason == "intensity: 9.0 outside [0.0, 2.0]"
    assert at(seq, 3.5).current.inputs["intensity"] == 2.0
    assert dict(seq.status().inputs)["intensity"] == 2.0  # what feedback reports
    refused = seq.handle(SetInput("flicker", 1.0), 3.0)
    assert not refused.accepted
    assert "declares no input 'flicker'" in refused.reason and "intensity" in refused.reason


def test_act_mapping_drives_inputs_from_the_room() -> None:
    seq = make()
    seq.apply(GotoCue("1"), 0.0)
    assert at(seq, 3.0, room(arousal=0.6)).current.inputs["speed"] == pytest.approx(0.8)
    assert at(seq, 4.0, room(arousal=-1.0)).current.inputs["speed"] == pytest.approx(0.0)


def test_chaos_mode_crossfades_to_crowd_chaos_and_back() -> None:
    seq = make(chaos_fade=2.0)
    seq.apply(GotoCue("1"), 0.0)
    seq.apply(SetChaosMode(True), 5.0)
    mid = at(seq, 6.0)
    assert mid.current.visual == "crowd_chaos" and mid.chaos_mode
    assert mid.previous is not None and mid.previous.visual == "enclave"
    seq.apply(SetChaosMode(False), 10.0)
    assert at(seq, 12.0).current.visual == "enclave" and not at(seq, 12.0).chaos_mode


def test_fired_cues_put_their_osc_in_the_outbox() -> None:
    seq = make()
    seq.apply(GotoCue("2"), 0.0)
    out = seq.take_outbox()
    assert [(m.host, m.port, m.address, m.args) for m in out] == [
        ("127.0.0.1", 9000, "/light/2", (2, "go")), ("10.0.0.7", 53000, "/qlab/go", ())]
    assert seq.take_outbox() == []


def test_reload_keeps_the_playhead_by_cue_id() -> None:
    seq = make()
    seq.apply(GotoCue("2"), 0.0)
    at(seq, 5.0)
    edited = SHOW.replace('inputs = { intensity = 1.6 }', 'inputs = { intensity = 1.2 }')
    edited = edited.replace('[[cue]]\nid = "1"\n', '[[cue]]\nid = "0.5"\nname = "New"\n'
                            'act = 1\nvisual = "blackout"\n\n[[cue]]\nid = "1"\n')
    seq.reload(parse_cue_text(edited, Path("test.toml"), CATALOG))
    state = at(seq, 5.0)
    assert state.cue_id == "2" and state.next_cue_id == "3"
    seq.apply(Go(), 6.0)
    assert at(seq, 7.0).current.inputs["intensity"] == pytest.approx(1.2)


def test_an_edit_that_removes_the_current_cue_keeps_its_picture_until_the_next_fires() -> None:
    seq = make()
    seq.apply(GotoCue("3", follow=True), 0.0)  # auto_follow: cue 4 would start at 2.0
    assert at(seq, 1.0).cue_id == "3"
    edited = SHOW.replace('id = "3"\nname = "Gates again"', 'id = "3.5"\nname = "Gates again"')
    seq.reload(parse_cue_text(edited, Path("test.toml"), CATALOG))  # cue 3 is gone
    kept = at(seq, 3.0)  # past the follow's time: the edit cancelled it
    assert kept.cue_id is None and kept.next_cue_id == "4"
    assert kept.current.visual == "enclave"  # the removed cue's picture stays on stage
    assert kept.current.inputs["intensity"] == pytest.approx(1.6)
    seq.apply(Go(), 4.0)
    assert at(seq, 6.0).current.visual == "crowd_chaos" and at(seq, 6.0).cue_id == "4"


def test_a_broken_edit_keeps_the_running_version(tmp_path: Path) -> None:
    path = tmp_path / "show.toml"
    path.write_text(SHOW, encoding="utf-8")
    seq = Sequencer(load_cue_file(path, CATALOG))
    seq.apply(GotoCue("3"), 0.0)
    path.write_text(SHOW.replace('visual = "crowd_chaos"', 'visual = "crowd_chaoss"'),
                    encoding="utf-8")
    outcome = seq.reload_file()
    assert not outcome.accepted
    assert f"{path}:" in outcome.reason and "cue 4: unknown visual 'crowd_chaoss'" in \
        outcome.reason
    assert [c.id for c in seq.cues.cues] == ["1", "2", "3", "4", "5", "6"]
    assert at(seq, 5.0).cue_id == "3"
    seq.apply(Go(), 6.0)
    assert at(seq, 6.0).current.visual == "crowd_chaos"   # the running version goes on
    path.write_text(SHOW.replace('name = "Rings"', 'name = "Rings of light"'),
                    encoding="utf-8")
    assert seq.reload_file().accepted
    assert at(seq, 5.5).cue_name == "Rings of light"


def test_the_default_show_runs_through_every_act_in_order() -> None:
    seq = Sequencer(load_cue_file(DEFAULT_CUES, CATALOG))
    clock = ManualClock()
    fired: list[str] = []
    acts: list[int] = []
    gos = 0
    while clock.now() < 3000:
        state = seq.tick(clock.now(), CALM)
        if state.cue_id is not None and (not fired or fired[-1] != state.cue_id):
            fired.append(state.cue_id)
            acts.append(state.act)
        if seq.status().phase in ("standby", "ready", "armed") \
                and seq.handle(Go(), clock.now()).accepted:
            gos += 1
        if seq.status().phase == "ended":
            break
        clock.advance(0.1)
    assert fired == [c.id for c in seq.cues.cues]
    assert sorted(set(acts)) == list(range(1, 8)) and acts == sorted(acts)
    assert seq.status().phase == "ended"
    auto = sum(1 for c in seq.cues.cues if c.next != "none")
    assert gos == len(seq.cues.cues) - auto          # the auto chains fired the rest


def test_the_room_calls_the_showdown_in_the_default_show() -> None:
    seq = Sequencer(load_cue_file(DEFAULT_CUES, CATALOG))
    seq.apply(GotoCue("6"), 0.0)
    assert seq.status().next_cue_id == "7" and seq.status().phase in ("armed", "transition")
    wild = room(chaos=0.85, face_count=4, arousal=0.8)
    t = 0.0
    while t < 10.0 and at(seq, t, wild).cue_id == "6":
        t = round(t + 0.1, 1)
    assert at(seq, t, wild).act_name == "The Showdown"
    assert 1.5 <= t <= 1.7


def test_every_no_op_says_why_and_the_outcome_is_kept_as_a_receipt() -> None:
    seq = make()
    refused = {
        GotoCue("99"): "no cue 99", SetPlayhead("99"): "no cue 99",
        SetPlayhead("selected"): "no cue selected", SetPlayhead("previous"): "start of list",
    }
    for command, reason in refused.items():
        assert seq.apply(command, 0.0) == Outcome(False, reason)
    seq.apply(GotoCue(seq.cues.cues[-1].id), 1.0)
    assert seq.apply(SetPlayhead("next"), 2.0) == Outcome(False, "end of list")
    go = Go()
    assert seq.apply(go, 3.0) == Outcome(False, "end of list")
    receipts = seq.take_receipts()
    assert len(receipts) == 7 and receipts[-1][0] is go and seq.take_receipts() == []


def test_show_mode_refuses_back_as_it_refuses_every_cue_but_go() -> None:
    seq = make()
    seq.apply(GotoCue("2"), 0.0)
    seq.locked = True
    assert seq.apply(Back(), 5.0) == Outcome(False, "show mode")
    assert at(seq, 6.0).cue_id == "2"
    assert seq.apply(Go(), 7.0).accepted


def test_a_stop_or_panic_aimed_at_one_cue_acts_only_on_the_cue_on_stage() -> None:
    """QLab's /cue/{id}/stop and /cue/{id}/panic: honest about a cue that is not running."""
    seq = make()
    seq.apply(GotoCue("2"), 0.0)
    for command in (Stop("5"), Panic("5")):
        assert seq.apply(command, 1.0) == Outcome(False, "cue 5 is not running")
    assert seq.status().cue_id == "2" and seq.status().phase != "panic"
    assert seq.apply(Stop("2"), 1.5) == Outcome(True)
    assert seq.apply(Panic("2"), 2.0) == Outcome(True)
    assert at(seq, 2.1, room()).master < 1.0  # fading out: the panic took


def test_a_cue_started_as_qlab_does_follows_its_next_action_and_a_jump_does_not() -> None:
    """QLab's /cue/{id}/start (GotoCue with follow): cue 1.5 auto-continues to 2 after its
    post-wait; /essence/goto (a rehearsal jump) stops on 1.5."""
    for follow, expected in ((True, "2"), (False, "1.5")):
        seq = Sequencer(load_cue_file(DEFAULT_CUES, CATALOG))  # 1.5: post-wait 12 s
        assert seq.apply(GotoCue("1.5", follow), 0.0).accepted
        t = 0.0
        while t < 20.0:
            t = round(t + 0.1, 1)
            at(seq, t)
        assert seq.status().cue_id == expected, follow
