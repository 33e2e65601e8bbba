"""The sequencer's refusals: each counted, the same one logged at most once per 5 s."""

from __future__ import annotations

import logging

import pytest

from performance.runtime.assemble import load_show
from performance.show.commands import SetInput
from performance.show.refusals import QUIET_S, Refusals
from performance.show.sequencer import Sequencer


def test_a_refused_fader_held_for_five_seconds_is_two_log_lines_not_three_hundred(
        caplog: pytest.LogCaptureFixture) -> None:
    """A fader the show refuses (the house-dark cue's visual declares no `intensity`),
    coalesced and handed to the show every frame while it is held."""
    seq = Sequencer(load_show())
    caplog.set_level(logging.INFO, logger="performance.show.sequencer")
    frames = 5 * 60 + 1
    for frame in range(frames):  # 60 frames a second, from 0 s to 5 s
        outcome = seq.apply(SetInput("intensity", (0.5, 0.5)), frame / 60.0)
        assert not outcome.accepted
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert seq.refusals.count == frames
    assert len(refused) == 2, refused
    assert refused[0] == f"SetInput refused: {outcome.reason}"
    assert refused[1].endswith(f"({frames - 2} more like this in 5 s)")
    assert seq.status().last_refusal == outcome.reason


def test_a_different_refusal_is_logged_at_once(caplog: pytest.LogCaptureFixture) -> None:
    refusals = Refusals()
    caplog.set_level(logging.INFO, logger="performance.show.sequencer")
    refusals.note("Go", "end of list", 0.0)
    refusals.note("Go", "end of list", 0.1)
    refusals.note("GotoCue", "no cue 99", 0.2)
    refusals.note("Go", "end of list", 0.3)  # after another: logged again
    refusals.note("Go", "end of list", 0.3 + QUIET_S / 2)
    assert [r.getMessage() for r in caplog.records] == [
        "Go refused: end of list", "GotoCue refused: no cue 99", "Go refused: end of list"]
    assert (refusals.count, refusals.last) == (5, "end of list")
