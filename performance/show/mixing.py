"""Mixing helpers for the sequencer: crossfades between layers and the master level fade."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from performance.core.inputs import InputValue, ShaderInput
from performance.show.easing import ease
from performance.show.frame import Layer


@dataclass(frozen=True)
class Crossfade:
    """A running visual transition from `previous` (a snapshot) to the live target layer."""

    previous: Layer
    start: float  # show time
    duration: float
    easing: str

    def progress(self, t: float) -> float:
        """Linear progress 0..1 at show time `t`."""
        if self.duration <= 0:
            return 1.0
        return min(max((t - self.start) / self.duration, 0.0), 1.0)

    def mix(self, t: float) -> float:
        """Eased mix 0..1 at show time `t`."""
        return ease(self.easing, self.progress(t))


def lerp_inputs(
    a: Mapping[str, InputValue], b: Mapping[str, InputValue], mix: float,
    specs: Mapping[str, ShaderInput],
) -> dict[str, InputValue]:
    """Inputs of one visual blended from `a` to `b` (whole-number and bool inputs switch
    at half-way; inputs missing in `a` take `b`'s value)."""
    out: dict[str, InputValue] = {}
    for key, target in b.items():
        start = a.get(key, target)
        spec = specs.get(key)
        if spec is not None and spec.type.discrete:
            out[key] = target if mix >= 0.5 else start
        elif isinstance(target, tuple) and isinstance(start, tuple) and len(start) == len(target):
            out[key] = tuple(x + (y - x) * mix for x, y in zip(start, target, strict=True))
        elif isinstance(target, float | int) and isinstance(start, float | int):
            out[key] = float(start) + (float(target) - float(start)) * mix
        else:
            out[key] = target
    return out


@dataclass(frozen=True)
class LevelFade:
    """A linear fade of the master level in real time; a new fade starts where this one is."""

    origin: float = 1.0
    target: float = 1.0
    start: float = 0.0
    duration: float = 0.0

    def at(self, now: float) -> float:
        """The level at real time `now`."""
        if self.duration <= 0 or now >= self.start + self.duration:
            return self.target
        f = max(now - self.start, 0.0) / self.duration
        return self.origin + (self.target - self.origin) * f

    def to(self, now: float, target: float, duration: float) -> LevelFade:
        """A fade from the level at `now` to `target` over `duration` seconds."""
        return LevelFade(self.at(now), target, now, max(duration, 0.0))
