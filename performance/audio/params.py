"""`AudioParams`: one immutable snapshot of everything the synth follows.

The main loop builds a new snapshot each frame from the show (`ShowFrame`: act, per-act
`SoundSetting`, the `master` fade) and the room (`CrowdReading`) and hands it to the audio
thread by a single reference swap. Every value is clamped and finite, so the synth never has
to check anything in the audio callback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from performance.core.types import CrowdReading
from performance.show.state import ShowFrame


def _clamp(value: float, low: float, high: float) -> float:
    """`value` limited to [low, high]; NaN and infinities become the nearest safe value."""
    v = float(value)
    if math.isnan(v):
        return low if low > 0 else (0.0 if high >= 0 else high)
    return min(max(v, low), high)


@dataclass(frozen=True)
class AudioParams:
    """What the sound should express right now (all values already clamped).

    valence, arousal: -1..1 (the room's mood); chaos, presence: 0..1; face_count: faces in
    view (fractional while smoothing); master: the show's overall fade 0..1 (panic/blackout);
    level: the act's sound level 0..1; palette: a named harmonic palette (unknown names fall
    back to "essence" in the synth); enabled: the act's sound on/off; act: the act number.
    """

    valence: float = 0.0
    arousal: float = 0.0
    chaos: float = 0.0
    face_count: float = 0.0
    presence: float = 0.0
    master: float = 1.0
    level: float = 0.8
    palette: str = "essence"
    enabled: bool = True
    act: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "valence", _clamp(self.valence, -1.0, 1.0))
        object.__setattr__(self, "arousal", _clamp(self.arousal, -1.0, 1.0))
        object.__setattr__(self, "chaos", _clamp(self.chaos, 0.0, 1.0))
        object.__setattr__(self, "face_count", _clamp(self.face_count, 0.0, 1000.0))
        object.__setattr__(self, "presence", _clamp(self.presence, 0.0, 1.0))
        object.__setattr__(self, "master", _clamp(self.master, 0.0, 1.0))
        object.__setattr__(self, "level", _clamp(self.level, 0.0, 1.0))

    @property
    def gain(self) -> float:
        """The output gain this snapshot asks for: level x master, 0 when disabled."""
        return self.level * self.master if self.enabled else 0.0

    @classmethod
    def from_state(cls, show: ShowFrame | None, crowd: CrowdReading) -> AudioParams:
        """The snapshot for one frame; without a show (no cue list) the defaults of an act."""
        if show is None:
            return cls(
                valence=crowd.valence, arousal=crowd.arousal, chaos=crowd.chaos,
                face_count=crowd.face_count, presence=crowd.presence,
            )
        return cls(
            valence=crowd.valence,
            arousal=crowd.arousal,
            chaos=crowd.chaos,
            face_count=crowd.face_count,
            presence=crowd.presence,
            master=show.master,
            level=show.sound.level,
            palette=show.sound.palette,
            enabled=show.sound.enabled,
            act=show.act,
        )

