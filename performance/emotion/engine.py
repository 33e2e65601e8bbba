"""The emotion engine: observations in, smoothed per-face and crowd emotion out.

It owns the per-face state (identity, baseline, smoothing) and nothing else; the mapping
from blendshapes to emotion is `EmotionMapping`, the crowd numbers are `CrowdAggregator`.
Time comes only from the observations' own timestamps (or `idle(now)` when none arrive), so
rehearsal and tests are deterministic. Nothing here is written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from performance.config import DEFAULTS, Reader
from performance.core.types import (
    EMOTIONS,
    NEUTRAL_READING,
    EmotionReading,
    FaceEmotion,
    FaceObservation,
    Observations,
    RoomEmotion,
    distribution,
)
from performance.emotion.baseline import FaceBaseline
from performance.emotion.crowd import CrowdAggregator
from performance.emotion.fusion import NetworkRest
from performance.emotion.mapping import EmotionMapping
from performance.emotion.smoothing import CriticallyDamped
from performance.emotion.tracker import FaceTracker


@dataclass
class _FaceState:
    baseline: FaceBaseline
    spring: CriticallyDamped
    last_time: float
    smoothed: EmotionReading
    raw: EmotionReading
    network_rest: NetworkRest | None = None  # learned when the expression network reads it


class EmotionEngine:
    """Per-face identity, baseline and smoothing, plus the crowd aggregate."""

    def __init__(
        self,
        mapping: EmotionMapping,
        *,
        smooth_time: float = DEFAULTS.smooth_time,
        forget_after: float = DEFAULTS.forget_after,
        baseline: np.ndarray | None = None,
        learn_baseline: bool = True,
        reader: Reader = Reader.FUSED,
        crowd_factory: Callable[[], CrowdAggregator] = CrowdAggregator,
    ) -> None:
        """`baseline`: an explicit calibrated resting feature vector (default: the population's).

        `learn_baseline`: learn each face's own resting level (its features and, with the
        expression network, the network's reading) while it is in view. `reader`: what
        reads the faces (the network joins in only for faces it has read).
        """
        self.mapping = mapping
        self.reader = reader
        self.smooth_time = smooth_time
        self.prior = mapping.population_baseline if baseline is None else np.asarray(baseline)
        self.learn_baseline = learn_baseline
        self.tracker = FaceTracker(forget_after=forget_after)
        self._crowd_factory = crowd_factory
        self.crowd = crowd_factory()
        self._faces: dict[int, _FaceState] = {}
        self.latest = RoomEmotion(timestamp=0.0)

    def read_still(self, face: FaceObservation) -> EmotionReading:
        """The unsmoothed reading of a face in a still image, against the prior baseline."""
        return self.mapping.predict(face.blendshapes, self.prior, expression=face.expression,
                                    reader=self.reader)

    def update(self, observations: Observations) -> RoomEmotion:
        """Fold in the faces of one frame and return the new state."""
        now = observations.timestamp
        step = self.tracker.update(observations.faces, now)
        for track, face in step.matched:
            self._observe(track.face_id, face, now)
        return self._publish(now, len(step.arrived), step.departed)

    def idle(self, now: float) -> RoomEmotion:
        """Advance time with no new frame (camera lost, perception busy): faces age and leave."""
        step = self.tracker.update((), now)
        return self._publish(now, 0, step.departed)

    def reset(self) -> None:
        """Forget every face and the crowd history."""
        self.tracker.reset()
        self._faces.clear()
        self.crowd = self._crowd_factory()
        self.latest = RoomEmotion(timestamp=0.0)

    def _observe(self, face_id: int, face: FaceObservation, now: float) -> None:
        features = self.mapping.features(face.blendshapes)
        state = self._faces.get(face_id)
        if state is None:
            state = _FaceState(
                baseline=FaceBaseline(self.prior),
                spring=CriticallyDamped(self.smooth_time),
                last_time=now,
                smoothed=NEUTRAL_READING,  # both replaced below, before anyone reads them
                raw=NEUTRAL_READING,
            )
            self._faces[face_id] = state
        dt = max(now - state.last_time, 0.0)
        base = state.baseline.update(features, dt) if self.learn_baseline else self.prior
        rest = self._network_rest(state, face, features, base, dt)
        raw = self.mapping.predict_features(features, base, expression=face.expression,
                                            rest=rest, reader=self.reader)
        vector = state.spring.update(
            np.array([*raw.probabilities, raw.valence, raw.arousal]), dt
        )
        state.raw = raw
        state.smoothed = _reading_from_vector(vector)
        state.last_time = now

    def _network_rest(self, state: _FaceState, face: FaceObservation, features: np.ndarray,
                      base: np.ndarray, dt: float) -> np.ndarray | None:
        """This face's learned resting level of the network (None: not learned, or no
        network reading). It learns only while the blendshapes read the face as neutral."""
        fusion = self.mapping.fusion
        if fusion is None or face.expression is None or not self.learn_baseline:
            return None
        if state.network_rest is None:
            state.network_rest = NetworkRest(fusion.rest_level)
        blend = self.mapping.predict_features(features, base, reader=Reader.BLENDSHAPES)
        evidence = fusion.network_evidence(np.asarray(face.expression))
        return state.network_rest.update(evidence, dt, resting=blend.label == "neutral")

    def _publish(self, now: float, arrivals: int, departed: list[int]) -> RoomEmotion:
        for face_id in list(self._faces):  # departed faces and dropped tentative ones
            if face_id not in self.tracker.tracks:
                del self._faces[face_id]
        faces = []
        for face_id, track in sorted(self.tracker.tracks.items()):
            state = self._faces.get(face_id)
            if state is None or not track.confirmed:
                continue
            faces.append(
                FaceEmotion(
                    face_id=face_id,
                    center=track.center,
                    size=track.size,
                    smoothed=state.smoothed,
                    raw=state.raw,
                    age=now - track.first_seen,
                    motion=track.speed,
                    visible=track.last_seen == now,
                )
            )
        crowd = self.crowd.update(faces, now, arrivals=arrivals, departures=len(departed))
        self.latest = RoomEmotion(timestamp=now, faces=tuple(faces), crowd=crowd)
        return self.latest


def _reading_from_vector(vector: np.ndarray) -> EmotionReading:
    n = len(EMOTIONS)
    return EmotionReading(
        probabilities=distribution(vector[:n]),
        valence=float(np.clip(vector[n], -1.0, 1.0)),
        arousal=float(np.clip(vector[n + 1], -1.0, 1.0)),
    )
