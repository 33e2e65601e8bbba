"""The operator's status panel with the cue lines, drawn headless (EGL) through the real
output: where the standby cue and the countdown are, the output differs from the stage;
the audience's stage itself stays clean."""

from __future__ import annotations

import numpy as np
import pytest

from performance.config import DEFAULT_CUES
from performance.core.status import InputState, InputStatus
from performance.core.types import RoomEmotion
from performance.operator.info import OperatorInfo
from performance.operator.preview import AMBER, MARGIN, OperatorView
from performance.render.context import Compositor
from performance.runtime.assemble import shader_catalog
from performance.runtime.stage import CompositorOutput
from performance.show.commands import Go
from performance.show.cuefile.load import load_cue_file
from performance.show.sequencer import Sequencer

from .test_thumbnail import paint_pattern

pytestmark = pytest.mark.gl
STEP = 18  # the text panel's line height (operator/preview.text_panel)



def test_the_panel_with_the_cue_lines_is_drawn_over_the_stage(gl, made) -> None:  # type: ignore[no-untyped-def]
    seq = Sequencer(load_cue_file(DEFAULT_CUES, shader_catalog()))
    quiet = RoomEmotion(timestamp=0.0)
    seq.apply(Go(), 0.0)
    seq.tick(0.0, quiet)
    seq.apply(Go(), 2.0)  # cue 1: an 8 s crossfade, counting down
    show = seq.tick(3.0, quiet)
    info = OperatorInfo(now=3.0, frame=90, show=show, emotion=quiet,
                        input_status=InputStatus(InputState.LIVE), messages=(), stats=None,
                        observations=None)
    shown = {}
    for with_cues in (False, True):
        comp = Compositor(gl, (960, 540))
        made.append(comp)
        view = OperatorView(operator=True, camera_live=lambda: False,
                            sequencer=seq.status if with_cues else None)
        image = paint_pattern(gl, comp, made)
        CompositorOutput(gl, comp, view).present(info)
        shown[with_cues] = comp.read_output().astype(int)
        assert np.array_equal(comp.read_stage(), image)  # the stage holds no panel
    stage = image.astype(int)
    # rows of the three cue lines (lines 2-4 of the panel), left part of the panel
    top, bottom = MARGIN + 5 + STEP, MARGIN + 5 + 4 * STEP
    band = (slice(top, bottom), slice(MARGIN, MARGIN + 300))
    assert np.abs(shown[True][band] - stage[band]).max(axis=2).mean() > 20  # the panel
    assert np.abs(shown[True][band] - shown[False][band]).max(axis=2).mean() > 20
    below = (slice(MARGIN + 5 + 3 * STEP, MARGIN + 5 + 5 * STEP), slice(MARGIN, MARGIN + 300))
    assert np.array_equal(shown[False][below], stage[below])  # the plain panel is shorter
    countdown = shown[True][MARGIN + 5 + 3 * STEP:MARGIN + 5 + 4 * STEP, MARGIN:MARGIN + 300]
    amber = (np.abs(countdown - AMBER[:3]).max(axis=2) < 60).sum()
    assert amber > 30  # "transition 7.0s" in amber
