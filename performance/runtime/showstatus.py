"""What the runtime tells the control side each frame: the `RigStatus` of the running show.

Owns building the status from the sequencer, the room and the run's health, with what
changes rarely built only when it changes: the cue names and the console's cue rows once
per cue list (a reload), the declared inputs' rows and ranges once per visual (a 22,000-cue
show took 7 ms a frame to list otherwise). `runtime.services` publishes what this builds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from performance.control.actions import ParamRange
from performance.control.feedback import RigStatus, rig_status_from
from performance.control.outline import CueRow, InputRow, cue_rows, input_rows
from performance.core.inputs import InputValue, ShaderInput
from performance.core.status import SoundState
from performance.core.types import CrowdReading
from performance.runtime.framestats import StatsSummary
from performance.show.cuefile.model import CueList
from performance.show.sequencer import Sequencer


def input_ranges(inputs: Mapping[str, ShaderInput]) -> dict[str, ParamRange]:
    """name -> (min, max, components) of a visual's declared inputs, for checking OSC values
    at the door (a vector input's widest component range; an input without a range takes
    any finite value, which the show then clamps)."""
    from performance.control.addresses import MAX_ABS_PARAM

    def bound(value: InputValue | None, pick: Callable[[tuple[float, ...]],
              float], fallback: float) -> float:
        if value is None:
            return fallback
        return float(pick(value)) if isinstance(value, tuple) else float(value)

    return {name: ParamRange(bound(spec.minimum, min, -MAX_ABS_PARAM),
                             bound(spec.maximum, max, MAX_ABS_PARAM), spec.width)
            for name, spec in inputs.items()}


class StatusBuilder:
    """The show's status for the control side, with the per-cue-list and per-visual parts
    kept until the cue list or the visual changes."""

    def __init__(self) -> None:
        self._list: CueList | None = None  # the cue list the rows below were built from
        self._names: tuple[tuple[str, str], ...] = ()
        self._outline: tuple[CueRow, ...] = ()
        self._visual: tuple[CueList | None, str | None] = (None, None)
        self._inputs: tuple[InputRow, ...] = ()

    def visual_changed(self, seq: Sequencer, visual: str) -> dict[str, ParamRange] | None:
        """The input ranges of `visual` when it (or the cue list) differs from the last
        call's; None when nothing changed."""
        if self._visual == (seq.cues, visual):
            return None
        self._visual = (seq.cues, visual)
        specs = seq.cues.inputs_of(visual)
        self._inputs = input_rows(specs.values())
        return input_ranges(specs)

    def _rows(self, cues: CueList) -> None:
        if self._list is not cues:
            self._list = cues
            self._names = tuple((cue.id, cue.name) for cue in cues.cues)
            self._outline = cue_rows(cues)

    def build(self, seq: Sequencer, room: CrowdReading, *, fps: float, health: str,
              stats: StatsSummary | None, show_mode: bool, report: str, recording: bool,
              sound: SoundState, input_health: str) -> RigStatus:
        """The status of the show now."""
        self._rows(seq.cues)
        return rig_status_from(
            seq.status(), room=room, fps=fps, health=health,
            latency_ms=stats.emotion_p95_ms if stats else None,
            presented_ms=stats.presented_p95_ms if stats else None,
            perception_fps=stats.perception_fps if stats else 0.0, show_mode=show_mode,
            cues=self._names, report=report, recording=recording, outline=self._outline,
            input_rows=self._inputs, title=seq.cues.title or seq.cues.path.stem,
            sound=str(sound), input_health=input_health)
