"""Glue between the frame loop and the sound: live (`AudioEngine`) and offline (`SynthTrack`).

Live: each frame the main loop calls `AudioEngine.update(show, crowd)`; the engine builds an
`AudioParams` snapshot and publishes it to the output (a reference swap). The show's `master`
fade (panic, blackout, end of show) and the act's `SoundSetting` travel inside the snapshot;
the synth glides to them.

Offline: `SynthTrack.render(show, emotion, samples)` renders the samples the video writer
asks for after each frame (the writer keeps the track sample-accurate with the frames).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from performance.audio.params import AudioParams
from performance.audio.synth import Synth
from performance.core.types import CrowdReading, RoomEmotion
from performance.show.frame import ShowFrame


class AudioOutputLike(Protocol):
    """What the engine needs of an output (AudioOutput, or a test double)."""

    silent: bool
    reason: str

    def publish(self, params: AudioParams) -> None:
        """Hand the audio thread a new snapshot."""
        ...


class AudioEngine:
    """Feeds the live output one snapshot per frame; `status` is a line for the operator."""

    def __init__(self, output: AudioOutputLike | None) -> None:
        self.output = output
        self.params = AudioParams()

    def update(self, show: ShowFrame | None, crowd: CrowdReading) -> AudioParams:
        """Build this frame's snapshot and publish it (also when silent: cheap, harmless)."""
        self.params = AudioParams.from_frame(show, crowd)
        if self.output is not None:
            self.output.publish(self.params)
        return self.params

    @property
    def status(self) -> str:
        """'sound: ...' for the operator's overlay and the log."""
        if self.output is None:
            return "sound: off"
        if self.output.silent:
            return f"sound: silent ({self.output.reason})"
        return f"sound: {self.output.reason}"


class SynthTrack:
    """The sound track of an offline render: the synth following the show, frame by frame.

    The video writer asks, after each picture, for exactly the samples up to the next one
    (so the track stays sample-accurate with the frames); this renders them from the state
    of that frame. Deterministic for the same seed and the same states.
    """

    def __init__(self, synth: Synth) -> None:
        self.synth = synth
        self.sample_rate = synth.sample_rate
        self.channels = synth.channels

    def render(self, show: ShowFrame, emotion: RoomEmotion, samples: int) -> np.ndarray:
        """float32 (samples, channels) for the state of one frame."""
        return self.synth.render(AudioParams.from_frame(show, emotion.crowd), samples)
