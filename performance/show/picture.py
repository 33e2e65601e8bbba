"""The picture on stage: the fired cue's visual (or crowd-chaos mode's), its inputs driven by
the act's room mappings and the operator's SetInput overrides, and the crossfade into it.

The sequencer decides which cue is current; `Picture` says what that looks like at a
show time. A crossfade starts from what shows at that instant (mid-transition, the dominant
layer), so a cue fired during a transition never jumps.
"""

from __future__ import annotations

from typing import NamedTuple

from performance.core.inputs import InputValue, ShaderInput, components
from performance.core.types import CrowdReading
from performance.show.cuefile.model import Cue, CueList
from performance.show.frame import Layer
from performance.show.mixing import Crossfade, lerp_inputs
from performance.show.seqoptions import Outcome


class Composed(NamedTuple):
    """One instant of the picture: `current` over `previous` with `mix`, and the progress
    of the transition (1 when none runs)."""

    current: Layer
    previous: Layer | None
    mix: float
    progress: float


class Picture:
    """The crossfade, crowd-chaos mode, input overrides and a layer a reload orphaned."""

    def __init__(self, chaos_visual: str) -> None:
        self.chaos_visual = chaos_visual
        self.chaos = False
        self.fade: Crossfade | None = None
        self.overrides: dict[str, dict[str, InputValue]] = {}  # visual -> name -> value
        self.orphan: Layer | None = None  # the layer of a current cue a reload removed

    def target(self, cues: CueList, cue: Cue | None, crowd: CrowdReading) -> Layer:
        """The layer the picture is heading for with `cue` current and the room `crowd`."""
        chaos = self.chaos_visual
        if self.chaos and chaos in cues.catalog:
            visual, inputs = chaos, cues.defaults(chaos)
        elif cue is not None:
            visual, inputs = cue.visual, dict(cue.inputs)
        else:
            return self.orphan or Layer("blackout")
        specs = cues.inputs_of(visual)
        act = cues.act(cue.act) if cue else None
        for mapping in act.mappings if act else ():
            if mapping.input in specs:
                inputs[mapping.input] = specs[mapping.input].coerce(mapping.value(crowd))
        inputs.update(self.overrides.get(visual, {}))
        return Layer(visual, inputs)

    def compose(self, cues: CueList, target: Layer, t: float) -> Composed:
        """What shows at show time `t` on the way to `target`."""
        fade = self.fade
        if fade is None or fade.progress(t) >= 1.0:
            return Composed(target, None, 1.0, 1.0)
        mix, progress = fade.mix(t), fade.progress(t)
        if fade.previous.visual == target.visual:
            specs = cues.inputs_of(target.visual)
            blended = lerp_inputs(fade.previous.inputs, target.inputs, mix, specs)
            return Composed(Layer(target.visual, blended), None, 1.0, progress)
        return Composed(target, fade.previous, mix, progress)

    def start_fade(self, cues: CueList, target: Layer, duration: float, easing: str,
                   at: float) -> None:
        """Begin a crossfade at show time `at` from what shows then (on the way to `target`,
        the layer before the change)."""
        current, previous, mix, _ = self.compose(cues, target, at)
        showing = previous if previous is not None and mix < 0.5 else current
        self.fade = Crossfade(showing, at, duration, easing)

    def transitioning(self, t: float) -> bool:
        """Whether a crossfade runs at show time `t`."""
        return self.fade is not None and self.fade.progress(t) < 1.0

    def left(self, t: float) -> float | None:
        """Seconds left of the crossfade at show time `t`; None when none runs."""
        fade = self.fade
        if fade is None or fade.progress(t) >= 1.0:
            return None
        return max(fade.start + fade.duration - t, 0.0)

    def settle(self, t: float) -> None:
        """Forget a crossfade that has finished by show time `t`."""
        if self.fade is not None and self.fade.progress(t) >= 1.0:
            self.fade = None

    def set_input(self, cues: CueList, visual: str, name: str, value: InputValue) -> Outcome:
        """Override a declared input of `visual` (the visual showing) until the next cue; a
        value outside the input's declared range is refused (not clamped)."""
        specs = cues.inputs_of(visual)
        if name not in specs:
            declared = ", ".join(specs) or "none"
            return Outcome(False, f"visual {visual!r} declares no input {name!r} "
                                  f"(declared: {declared})")
        spec = specs[name]
        try:
            coerced = spec.coerce(value)
        except (TypeError, ValueError) as exc:
            return Outcome(False, f"{name}: {exc}")
        if out_of_range(spec, value):  # one rule with OSC's door: refused, never clamped
            return Outcome(False, f"{name}: {value} outside [{spec.minimum}, {spec.maximum}]")
        self.overrides.setdefault(visual, {})[name] = coerced
        return Outcome(True)


def out_of_range(spec: ShaderInput, value: object) -> bool:
    """Whether any component of `value` lies outside `spec`'s declared minimum..maximum."""
    items = value if isinstance(value, list | tuple) else [value]
    vals = [float(v) for v in items if isinstance(v, int | float)]
    lo = components(spec.minimum, len(vals))
    hi = components(spec.maximum, len(vals))
    return any((lo is not None and v < lo[i]) or (hi is not None and v > hi[i])
               for i, v in enumerate(vals))
