"""What the console is told: its options from the settings, and the show's status with its
cue rows, waits, armed condition and inputs, from a real sequencer on a real show file."""

from __future__ import annotations

from pathlib import Path

import pytest

from performance.config import DEFAULT_CUES, Settings
from performance.console.options import console_options, parse_console
from performance.control.feedback import RigStatus
from performance.core.errors import ConfigError
from performance.core.status import SoundState
from performance.core.types import CrowdReading, RoomEmotion
from performance.runtime.assemble import shader_catalog
from performance.runtime.showstatus import StatusBuilder
from performance.show.commands import Go
from performance.show.cuefile.load import load_cue_file, parse_cue_text
from performance.show.seqoptions import SequencerOptions
from performance.show.sequencer import Sequencer

CATALOG = shader_catalog()


def test_console_options_default_to_loopback_and_oscquery_beside_it() -> None:
    opts = console_options(Settings(console="8088"))
    assert opts is not None
    assert (opts.host, opts.port, opts.oscquery_port, opts.local) == ("127.0.0.1", 8088,
                                                                      8089, True)
    wide = console_options(Settings(console="0.0.0.0:9000", osc_passcode="s3cret",
                                    oscquery_port=9100))
    assert wide is not None and not wide.local
    assert (wide.host, wide.port, wide.oscquery_port, wide.passcode) == ("0.0.0.0", 9000,
                                                                         9100, "s3cret")
    assert console_options(Settings()) is None
    assert parse_console("[::1]:8088") == ("::1", 8088)


@pytest.mark.parametrize("text", ["", "port", "127.0.0.1:", "host.example:80", "1:99999",
                                  "-1"])
def test_a_bad_console_address_is_one_line_naming_the_option(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^--console: ") as caught:
        parse_console(text)
    assert "\n" not in str(caught.value)


def test_a_wide_console_without_a_passcode_is_warned_about(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="performance.console"):
        console_options(Settings(console="127.0.0.1:8088"))
        console_options(Settings(console="0.0.0.0:8088", osc_passcode="s3cret"))
        assert not caplog.records
        console_options(Settings(console="0.0.0.0:8088"))
    (record,) = caplog.records
    assert "0.0.0.0:8088" in record.getMessage() and "osc_passcode" in record.getMessage()


def test_the_camera_preview_is_refused_beyond_loopback_and_without_a_console() -> None:
    with pytest.raises(ConfigError, match=r"only on 127\.0\.0\.1, not on 0\.0\.0\.0"):
        console_options(Settings(console="0.0.0.0:8088", console_camera=True))
    with pytest.raises(ConfigError, match="needs --console"):
        console_options(Settings(console_camera=True))
    opts = console_options(Settings(console="127.0.0.1:8088", console_camera=True))
    assert opts is not None and opts.camera


def _crowd(**values: float) -> RoomEmotion:
    return RoomEmotion(timestamp=0.0, crowd=CrowdReading(**values))


def build(builder: StatusBuilder, seq: Sequencer, room: CrowdReading) -> RigStatus:
    return builder.build(seq, room, fps=60.0, health="ok", stats=None, show_mode=False,
                         report="", recording=False, sound=SoundState.OK,
                         input_health="live")


def test_the_status_lists_every_cue_with_its_act_waits_and_condition() -> None:
    cues = load_cue_file(DEFAULT_CUES, CATALOG)
    seq = Sequencer(cues, SequencerOptions())
    seq.tick(0.0, _crowd())
    builder = StatusBuilder()
    first = build(builder, seq, CrowdReading())
    assert [row.id for row in first.outline] == [cue.id for cue in cues.cues]
    acts = {act.number: act.name for act in cues.acts}
    for row, cue in zip(first.outline, cues.cues, strict=True):
        assert row.act_name == acts[cue.act] and row.transition == cue.transition.duration
        assert row.pre_wait == cue.pre_wait and row.next == cue.next.value
        assert bool(row.condition) == (cue.when is not None)
    assert first.next_cue_id == cues.cues[0].id
    assert first.next_cue_name == cues.cues[0].name
    assert first.title and first.sound == "ok" and first.input_health == "live"
    again = build(builder, seq, CrowdReading())
    assert again.outline is first.outline  # built once per cue list, not per frame


SHOW = """\
[[act]]
number = 1
name = "Enclaves"

[[cue]]
id = "1"
name = "Gates"
act = 1
visual = "enclave"
transition = { duration = 4.0, easing = "linear" }

[[cue]]
id = "2"
name = "Raid"
act = 1
visual = "essence_module"
when = { metric = "chaos", above = 0.7, for_s = 2.0 }
"""


def test_the_waits_count_down_and_the_armed_condition_says_how_close_the_room_is() -> None:
    seq = Sequencer(parse_cue_text(SHOW, Path("show.toml"), CATALOG), SequencerOptions())
    seq.tick(0.0, _crowd())
    seq.apply(Go(), 0.0)
    seq.tick(1.0, _crowd(chaos=0.4))
    builder = StatusBuilder()
    status = build(builder, seq, CrowdReading(chaos=0.4))
    assert status.transition_left == pytest.approx(3.0)
    assert status.state == "armed"
    assert status.condition == "chaos > 0.7 for 2s"
    assert status.condition_value == pytest.approx(0.4)
    assert status.condition_threshold == pytest.approx(0.7)
    assert (status.condition_metric, status.condition_above) == ("chaos", True)
    assert status.condition_left is None  # the room does not meet it now
    seq.tick(2.0, _crowd(chaos=0.9))
    seq.tick(2.5, _crowd(chaos=0.9))
    later = build(builder, seq, CrowdReading(chaos=0.9))
    assert later.condition_value == pytest.approx(0.9)
    assert later.condition_left == pytest.approx(1.5)
    assert later.transition_left == pytest.approx(1.5)  # 4 s from t 0


def test_the_input_rows_follow_the_showing_visual() -> None:
    cues = parse_cue_text(SHOW, Path("show.toml"), CATALOG)
    seq = Sequencer(cues, SequencerOptions())
    builder = StatusBuilder()
    ranges = builder.visual_changed(seq, "enclave")
    assert ranges is not None and builder.visual_changed(seq, "enclave") is None
    rows = build(builder, seq, CrowdReading()).input_rows
    specs = cues.inputs_of("enclave")
    assert [r.name for r in rows] == list(specs)
    for row in rows:
        spec = specs[row.name]
        assert (row.type, row.minimum, row.maximum) == (spec.type.value, spec.minimum,
                                                        spec.maximum)
        assert row.label == (spec.label or spec.name)
    assert builder.visual_changed(seq, "essence_module") is not None
