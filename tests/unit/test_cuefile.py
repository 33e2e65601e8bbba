"""Loading and validating show files: every error names file:line and cue."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from performance.config import DEFAULT_CUES
from performance.runtime.assemble import shader_catalog
from performance.show.cuefile.load import CueListError, load_cue_file, parse_cue_text
from performance.show.easing import EASINGS, ease, get_easing

CATALOG = shader_catalog()

BASE = """\
[show]
title = "Test"
osc_target = "127.0.0.1:9000"

[[act]]
number = 1
name = "One"
[act.map]
speed = { source = "arousal", scale = 0.5, offset = 0.2 }

[[act]]
number = 2
name = "Two"

[[cue]]
id = "1"
name = "Gates"
act = 1
visual = "enclave"
inputs = { intensity = 0.5 }
transition = { duration = 2.0, easing = "linear" }

[[cue]]
id = "1.5"
name = "Core"
act = 2
visual = "essence_module"
pre_wait = 1.0
next = "auto_continue"
post_wait = 3.0
[cue.inputs]
core_size = 0.3
[[cue.osc]]
address = "/light/go"
args = [1, 2.5, "x"]
"""


def line_of(text: str, snippet: str) -> int:
    """1-based line of the first line containing `snippet`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if snippet in line:
            return number
    raise AssertionError(f"{snippet!r} not in text")


FIRST_CUE_LINE = line_of(BASE, "[[cue]]")  # cue 1's header: where a duplicate id points back


def load_text(text: str, name: str = "cues/test.toml"):
    return parse_cue_text(text, Path(name), CATALOG)


def single_error(text: str) -> str:
    with pytest.raises(CueListError) as info:
        load_text(text)
    assert len(info.value.errors) == 1, str(info.value)
    return str(info.value.errors[0])


def test_base_show_loads_with_defaults_filled_and_lines() -> None:
    cues = load_text(BASE)
    assert [c.id for c in cues.cues] == ["1", "1.5"]
    first, second = cues.cues
    assert first.line == line_of(BASE, '[[cue]]')
    assert first.inputs["intensity"] == 0.5
    assert first.inputs["speed"] == 0.25  # the shader's declared default
    assert second.inputs["core_size"] == 0.3
    assert second.osc[0].args == (1, 2.5, "x")
    assert cues.acts[0].mappings[0].source == "arousal"
    assert cues.osc_target == "127.0.0.1:9000"


@pytest.mark.parametrize(
    ("old", "new", "cue", "reason"),
    [
        ('visual = "enclave"', 'visual = "enclav"', "1",
         "unknown visual 'enclav' (known: blackout, crowd_chaos, enclave"),
        ("inputs = { intensity = 0.5 }", "inputs = { intensity = 0.5, glow = 1 }", "1",
         "unknown input 'glow' for visual 'enclave'"),
        ("inputs = { intensity = 0.5 }", "inputs = { intensity = 3.5 }", "1",
         "input 'intensity' = 3.5 is outside its range 0..2"),
        ("core_size = 0.3", "core_size = 0.9", "1.5",
         "input 'core_size' = 0.9 is outside its range 0.08..0.35"),
        ('easing = "linear"', 'easing = "bouncy"', "1", "unknown easing 'bouncy'"),
        ('id = "1.5"', 'id = "1"', "1",
         f"duplicate cue id '1' (first at line {FIRST_CUE_LINE})"),
        ('id = "1.5"', 'id = "one"', "one", "bad cue id 'one'"),
        ("act = 2", "act = 9", "1.5", "unknown act 9 (known: 1, 2)"),
        ('next = "auto_continue"', 'next = "autofollow"', "1.5",
         "unknown next action 'autofollow'"),
        ('address = "/light/go"', 'address = "light/go"', "1.5",
         "OSC address must start with '/'"),
        ('args = [1, 2.5, "x"]', "args = [1, true]", "1.5", "OSC args must be numbers"),
        ("pre_wait = 1.0", "pre_wait = -1.0", "1.5", "pre_wait must not be negative"),
        ('name = "Gates"', 'name = "Gates"\ncolour = "red"', "1", "unknown key 'colour'"),
    ],
)
def test_cue_errors_name_file_line_and_cue(old: str, new: str, cue: str, reason: str) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    message = single_error(text)
    offending = new.splitlines()[-1]
    expected_line = _expected_line(text, offending)
    assert message.startswith(f"cues/test.toml:{expected_line}: cue {cue}: "), message
    assert reason in message


def _expected_line(text: str, offending: str) -> int:
    """Where the error must point: the offending line (the second `id` for duplicates)."""
    lines = text.splitlines()
    hits = [n for n, line in enumerate(lines, start=1) if offending.strip() in line]
    return hits[-1]


def test_condition_errors() -> None:
    text = BASE.replace('post_wait = 3.0', 'post_wait = 3.0\nwhen = { metric = "valance", '
                        'above = 0.3 }')
    message = single_error(text)
    assert message.startswith(f"cues/test.toml:{line_of(text, 'valance')}: cue 1.5: ")
    assert "unknown condition metric 'valance'" in message
    text = BASE.replace('post_wait = 3.0', 'post_wait = 3.0\n[cue.when]\nmetric = "chaos"\n'
                        'for_s = 2')
    assert "needs above = ... or below = ..." in single_error(text)


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        ('metric = "chaos", above = 5', "chaos above 5 can never be met (chaos runs from 0 to 1)"),
        ('metric = "valence", below = -1', "valence below -1 can never be met"),
        ('metric = "happy", above = 0.8, below = 0.2',
         "happy above 0.8 and below 0.2 can never both be met"),
        ('metric = "chaos", above = 0.5, min_faces = 1001',
         "min_faces must be from 0 to 1000 faces, got 1001"),
        ('metric = "chaos", above = 0.5, min_faces = true', "min_faces must be a number"),
        ('metric = "chaos", above = 0.5, for_s = 1e308',
         "for_s must be at most 86400 s (one day)"),
    ],
)
def test_a_condition_the_room_can_never_meet_is_refused_at_its_line(when: str,
                                                                    reason: str) -> None:
    text = BASE.replace('post_wait = 3.0', f'post_wait = 3.0\nwhen = {{ {when} }}')
    message = single_error(text)
    assert message.startswith(f"cues/test.toml:{line_of(text, 'when = ')}: cue 1.5: "), message
    assert reason in message
    fine = BASE.replace('post_wait = 3.0', 'post_wait = 3.0\nwhen = { metric = "chaos", '
                        'above = 0.0, below = 1.0, min_faces = 1.5 }')
    when = load_text(fine).cues[1].when
    assert when is not None and when.min_faces == 1.5  # the smoothed count


def test_a_wait_longer_than_a_day_is_a_typo() -> None:
    text = BASE.replace("pre_wait = 1.0", "pre_wait = 1e308")
    message = single_error(text)
    assert message.startswith(f"cues/test.toml:{line_of(text, 'pre_wait')}: cue 1.5: ")
    assert "pre_wait must be at most 86400 s (one day), got 1e+308" in message


def test_an_unknown_sound_palette_is_refused_at_its_line_when_palettes_are_given() -> None:
    from performance.audio.palettes import palette_names

    text = BASE.replace('post_wait = 3.0', 'post_wait = 3.0\nsound = { palette = "banjo" }')
    assert parse_cue_text(text, Path("cues/test.toml"), CATALOG).cues[1].sound is not None
    with pytest.raises(CueListError) as info:
        parse_cue_text(text, Path("cues/test.toml"), CATALOG, palette_names())
    message = str(info.value.errors[0])
    assert message.startswith(f"cues/test.toml:{line_of(text, 'banjo')}: cue 1.5: "), message
    assert f"unknown sound palette 'banjo' (known: {', '.join(palette_names())})" in message


def test_the_runtime_loads_a_show_against_the_palettes(tmp_path: Path) -> None:
    """`run`, `render` and `rehearse` load through `load_show`: a palette typo stops them
    at the file's line (it used to pass, and the show ran with the default sound)."""
    from performance.runtime.assemble import load_show

    path = tmp_path / "show.toml"
    path.write_text(BASE.replace('name = "One"', 'name = "One"\nsound = { palette = "x1" }'))
    with pytest.raises(CueListError, match=r"show.toml:\d+: act 1: unknown sound palette 'x1'"):
        load_show(path)


def test_post_wait_needs_auto_continue() -> None:
    text = BASE.replace('next = "auto_continue"', 'next = "none"')
    message = single_error(text)
    assert message.startswith(f"cues/test.toml:{line_of(text, 'post_wait')}: cue 1.5: ")
    assert 'post_wait only applies with next = "auto_continue"' in message


def test_act_errors_point_at_the_act() -> None:
    text = BASE.replace('speed = { source = "arousal"', 'speed = { source = "arousel"')
    message = single_error(text)
    assert message.startswith(f"cues/test.toml:{line_of(text, 'arousel')}: act 1: ")
    text = BASE.replace("speed = {", "core_size = {")
    message = single_error(text)
    assert message.startswith(f"cues/test.toml:{line_of(text, 'core_size = {')}: act 1: ")
    assert "no visual of this act declares that input" in message


def test_bad_toml_gives_line_and_column() -> None:
    text = BASE.replace('name = "Core"', 'name = "Core')
    message = single_error(text)
    line = line_of(text, 'name = "Core')
    assert message.startswith(f"cues/test.toml:{line}: not valid TOML")
    assert "column" in message


def test_every_problem_is_reported_at_once() -> None:
    text = BASE.replace('visual = "enclave"', 'visual = "nope"').replace("act = 2", "act = 7")
    with pytest.raises(CueListError) as info:
        load_text(text)
    lines = [e.line for e in info.value.errors]
    assert lines == [line_of(text, '"nope"'), line_of(text, "act = 7")]


def test_osc_needs_a_target() -> None:
    text = BASE.replace('osc_target = "127.0.0.1:9000"\n', "")
    assert "has no target and [show] has no osc_target" in single_error(text)
    text = BASE.replace('args = [1, 2.5, "x"]', 'target = "desk"')
    assert "host:port" in single_error(text)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CueListError, match=r"nope\.toml:1: cannot read the show file"):
        load_cue_file(tmp_path / "nope.toml", CATALOG)


def test_default_show_tells_the_story_in_seven_acts() -> None:
    cues = load_cue_file(DEFAULT_CUES, CATALOG)
    assert [a.number for a in cues.acts] == list(range(1, 8))
    assert [c.act for c in cues.cues] == sorted(c.act for c in cues.cues)
    assert {c.visual for c in cues.cues} >= {"essence_module", "enclave", "crowd_chaos",
                                              "blackout"}
    assert {c.when.metric for c in cues.cues if c.when} >= {"chaos"}
    assert any(c.osc for c in cues.cues)
    assert all(a.sound is not None and a.mappings for a in cues.acts)
    text = DEFAULT_CUES.read_text(encoding="utf-8").splitlines()
    assert all(text[c.line - 1].strip() == "[[cue]]" for c in cues.cues)


def test_easings_run_from_zero_to_one_and_are_monotonic() -> None:
    for name in EASINGS:
        samples = [ease(name, i / 20) for i in range(21)]
        assert samples[-1] == 1.0
        assert all(b >= a for a, b in itertools.pairwise(samples)), name
        if name != "cut":
            assert samples[0] == 0.0, name
    assert ease("linear", 0.25) == 0.25
    assert ease("ease_in", 0.5) < 0.5 < ease("ease_out", 0.5)
    assert ease("step", 0.49) == 0.0 and ease("step", 0.5) == 1.0
    assert ease("linear", 7.0) == 1.0 and ease("linear", -1.0) == 0.0
    with pytest.raises(ValueError, match="unknown easing 'wobble' \\(known: linear"):
        get_easing("wobble")
