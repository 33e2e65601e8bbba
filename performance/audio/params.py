"""`AudioParams`: one immutable snapshot of everything the synth follows.

The main loop builds a new snapshot each frame from the show (`ShowFrame`: act, per-act
`SoundSetting`, the `master` fade) and the room (`CrowdReading`, carried whole) and hands it
to the sound: live through shared memory to the audio process (`audio/process.py`), where the
audio thread takes it by a single reference swap. Every value is clamped and finite (the room's
to the ranges `CrowdReading` declares), so the synth never has to check anything in the audio
callback.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from performance.core.types import CrowdReading, clamp
from performance.show.frame import ShowFrame


@dataclass(frozen=True)
class AudioParams:
    """What the sound should express right now (all values already clamped).

    crowd: the room (the synth follows valence, arousal, chaos, presence and face_count);
    master: the show's overall fade 0..1 (panic/blackout); level: the act's sound level 0..1;
    palette: a named harmonic palette (unknown names fall back to "essence" in the synth);
    enabled: the act's sound on/off; act: the act number.
    """

    crowd: CrowdReading = field(default_factory=CrowdReading)
    master: float = 1.0
    level: float = 0.8
    palette: str = "essence"
    enabled: bool = True
    act: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "crowd", self.crowd.clamped())
        object.__setattr__(self, "master", clamp(self.master, 0.0, 1.0))
        object.__setattr__(self, "level", clamp(self.level, 0.0, 1.0))

    @property
    def gain(self) -> float:
        """The output gain this snapshot asks for: level x master, 0 when disabled."""
        return self.level * self.master if self.enabled else 0.0

    @classmethod
    def from_frame(cls, show: ShowFrame | None, crowd: CrowdReading) -> AudioParams:
        """The snapshot for one frame; without a show (no cue list) the defaults of an act."""
        if show is None:
            return cls(crowd=crowd)
        return cls(
            crowd=crowd,
            master=show.master,
            level=show.sound.level,
            palette=show.sound.palette,
            enabled=show.sound.enabled,
            act=show.act,
        )
