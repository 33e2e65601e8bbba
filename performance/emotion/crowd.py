"""Crowd aggregates for "crowd chaos": count, churn, mean mood, spread, motion, chaos.

Only these aggregates leave the emotion layer for the show. Every value is smoothed with a
dt-driven spring, so with no face in view everything glides to the "no audience" state
(no faces, neutral mood, no chaos) instead of jumping.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from performance.core.types import (
    CROWD_NUMBERS,
    NEUTRAL_READING,
    CrowdReading,
    FaceEmotion,
    distribution,
)
from performance.emotion.smoothing import CriticallyDamped


@dataclass(frozen=True)
class ChaosWeights:
    """How much each ingredient adds to `chaos` (they are normalised to [0, 1] first)."""

    spread: float = 0.35
    arousal: float = 0.25
    churn: float = 0.2
    motion: float = 0.2
    churn_full: float = 20.0  # arrivals+departures per minute that count as full churn
    motion_full: float = 0.5  # mean face speed (frame widths per second) that counts as full
    crowd_full: float = 4.0  # faces needed for chaos to reach its full range


class CrowdAggregator:
    """Turns the faces in view into one smoothed CrowdReading."""

    def __init__(
        self,
        *,
        smooth_time: float = 0.8,
        churn_window: float = 60.0,
        weights: ChaosWeights | None = None,
    ) -> None:
        self.weights = weights or ChaosWeights()
        self.churn_window = churn_window
        self._spring = CriticallyDamped(smooth_time)
        self._emotions = CriticallyDamped(smooth_time)
        self._arrivals: deque[float] = deque(maxlen=10_000)
        self._departures: deque[float] = deque(maxlen=10_000)
        self._last_time: float | None = None
        self.latest = CrowdReading()

    def update(
        self,
        faces: Sequence[FaceEmotion],
        now: float,
        *,
        arrivals: int = 0,
        departures: int = 0,
    ) -> CrowdReading:
        """Fold in the faces seen at `now` and the arrivals/departures since the last call."""
        dt = 0.0 if self._last_time is None else max(now - self._last_time, 0.0)
        self._last_time = now
        self._arrivals.extend([now] * arrivals)
        self._departures.extend([now] * departures)
        arrivals_pm = self._per_minute(self._arrivals, now)
        departures_pm = self._per_minute(self._departures, now)
        target, emotions = self._targets(faces, arrivals_pm, departures_pm)
        smoothed = self._spring.update(target, dt)
        mood = distribution(self._emotions.update(emotions, dt))
        values = dict(zip(CROWD_NUMBERS, (float(v) for v in smoothed), strict=True))
        self.latest = CrowdReading(**values, emotions=mood).clamped()
        return self.latest

    def _per_minute(self, events: deque[float], now: float) -> float:
        while events and now - events[0] > self.churn_window:
            events.popleft()
        return len(events) * 60.0 / self.churn_window

    def _targets(
        self, faces: Sequence[FaceEmotion], arrivals_pm: float, departures_pm: float
    ) -> tuple[np.ndarray, np.ndarray]:
        w = self.weights
        if not faces:
            return _vector(arrivals_per_min=arrivals_pm, departures_per_min=departures_pm), \
                np.array(NEUTRAL_READING.probabilities)
        n = len(faces)
        va = np.array([(f.smoothed.valence, f.smoothed.arousal) for f in faces])
        probabilities = np.array([f.smoothed.probabilities for f in faces])
        valence, arousal = (va.sum(axis=0) / n).tolist()
        spread = crowd_spread(va, probabilities)
        motion = min(sum(f.motion for f in faces) / n / w.motion_full, 1.0)
        churn = min((arrivals_pm + departures_pm) / w.churn_full, 1.0)
        crowd_scale = 1.0 - math.exp(-n / (w.crowd_full / 2.0))
        raw = (w.spread * spread + w.arousal * max(arousal, 0.0) + w.churn * churn
               + w.motion * motion) / (w.spread + w.arousal + w.churn + w.motion)
        chaos = min(max(raw * crowd_scale * 1.6, 0.0), 1.0)
        target = _vector(face_count=len(faces), arrivals_per_min=arrivals_pm,
                         departures_per_min=departures_pm, valence=valence, arousal=arousal,
                         spread=spread, motion=motion, chaos=chaos, presence=1.0)
        return target, probabilities.sum(axis=0) / n


def crowd_spread(valence_arousal: np.ndarray, probabilities: np.ndarray) -> float:
    """How much the faces disagree, in [0, 1]: 0 for one face or a unanimous room.

    Half from the mean distance of each face's (valence, arousal) to the room's mean (largest
    possible is sqrt(2) when the room splits between opposite corners), half from how evenly
    the top labels are shared (normalised entropy).
    """
    n = len(valence_arousal)
    if n < 2:
        return 0.0
    offsets = valence_arousal - valence_arousal.sum(axis=0) / n
    distance = float(np.sqrt((offsets * offsets).sum(axis=1)).sum()) / n / math.sqrt(2)
    labels = np.argmax(probabilities, axis=1)
    counts = np.bincount(labels, minlength=probabilities.shape[1])
    shares = counts[counts > 0] / n
    entropy = float(-(shares * np.log(shares)).sum())
    max_entropy = math.log(min(n, probabilities.shape[1]))
    diversity = entropy / max_entropy if max_entropy > 0 else 0.0
    return min(0.5 * min(distance, 1.0) + 0.5 * diversity, 1.0)


def _vector(**values: float) -> np.ndarray:
    """The spring's target in CROWD_NUMBERS order; fields not given are 0 (no audience)."""
    unknown = set(values) - set(CROWD_NUMBERS)
    assert not unknown, unknown
    return np.array([float(values.get(name, 0.0)) for name in CROWD_NUMBERS])
