"""The emotion engine: observations in, smoothed per-face and crowd emotion out.

It owns the per-face state (identity, baseline, smoothing) and nothing else; the mapping
from blendshapes to emotion is `EmotionMapping`, the crowd numbers are `CrowdAggregator`.
A frame is read as one matrix: every face's 52 blendshapes are a row, and features, baselines,
the network's resting levels, the readers and the springs each run once for all the rows
(`_FaceRows` keeps the faces' state as rows). Time comes only from the observations' own
timestamps (or `idle(now)` when none arrive), so rehearsal and tests are deterministic.
Nothing here is written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import replace

import numpy as np

from performance.config import DEFAULTS, Reader
from performance.core.types import (
    EMOTIONS,
    NEUTRAL_READING,
    EmotionReading,
    FaceEmotion,
    FaceObservation,
    FaceRole,
    Observations,
    RoomEmotion,
)
from performance.emotion.baseline import BaselineRule
from performance.emotion.crowd import CrowdAggregator
from performance.emotion.features import blendshape_matrix
from performance.emotion.fusion import NetworkRest
from performance.emotion.mapping import EmotionMapping
from performance.emotion.smoothing import spring_step
from performance.emotion.tracker import FaceTracker
from performance.emotion.venue import VenueBaseline

_K = len(EMOTIONS)
_NEUTRAL = EMOTIONS.index("neutral")


class _FaceRows:
    """The state of every face in view as rows of one table: its baseline envelope and age,
    the network's learned resting mean, its spring (value, velocity) and when it was last
    read; beside it each face's latest readings. A face keeps its row while it is tracked;
    one that goes gives its row to the last face."""

    def __init__(self, n_features: int, rest_level: np.ndarray) -> None:
        f, k = n_features, _K
        self.envelope, self.age = slice(0, f), f
        self.rest = slice(f + 1, f + 1 + k)
        self.value = slice(f + 1 + k, f + 3 + 2 * k)
        self.velocity = slice(f + 3 + 2 * k, f + 5 + 3 * k)
        self.time = f + 5 + 3 * k
        self.table = np.zeros((8, self.time + 1))
        self.rest_level = rest_level
        self.row: dict[int, int] = {}
        self.ids: list[int] = []
        self.readings: dict[int, tuple[EmotionReading, EmotionReading]] = {}  # smoothed, raw

    def rows(self, ids: Sequence[int], features: np.ndarray,
             now: float) -> tuple[np.ndarray, np.ndarray]:
        """The rows of `ids` (faces new to it get one, starting from `features` at `now`)
        and which of them are new."""
        fresh = [i for i, face_id in enumerate(ids) if face_id not in self.row]
        for i in fresh:
            n = len(self.ids)
            if n == len(self.table):
                self.table = np.concatenate([self.table, np.zeros_like(self.table)])
            self.row[ids[i]] = n
            self.ids.append(ids[i])
            row = self.table[n]
            row[:] = 0.0
            row[self.envelope], row[self.rest], row[self.time] = features[i], self.rest_level, now
        is_fresh = np.zeros(len(ids), dtype=bool)
        is_fresh[fresh] = True
        return np.array([self.row[face_id] for face_id in ids]), is_fresh

    def keep_only(self, tracked: Container[int]) -> None:
        """Forget the faces no longer tracked (departed, or tentative and dropped)."""
        for face_id in [f for f in self.readings if f not in tracked]:
            del self.readings[face_id]
        for face_id in [f for f in self.ids if f not in tracked]:
            row, last = self.row.pop(face_id), len(self.ids) - 1
            moved = self.ids.pop()
            if row != last:
                self.ids[row] = moved
                self.row[moved] = row
                self.table[row] = self.table[last]

    def clear(self) -> None:
        self.row.clear()
        self.ids.clear()
        self.readings.clear()


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
        venue_baseline_s: float = 0.0,
    ) -> None:
        """`baseline`: an explicit calibrated resting feature vector (default: the population's).

        `learn_baseline`: learn each face's own resting level (its features and, with the
        expression network, the network's reading) while it is in view. `reader`: what
        reads the faces (the network joins in only for faces it has read).
        `venue_baseline_s` > 0: the room's resting level, learned from every audience face
        over the first seconds of the run, becomes the prior after them (memory only).
        Faces marked `FaceRole.PERFORMER` are read by an engine of their own and published
        as `RoomEmotion.performer`, never in the faces or the crowd.
        """
        if smooth_time <= 0:
            raise ValueError(f"smooth_time must be positive (got {smooth_time})")
        self.mapping = mapping
        self.reader = reader
        self.smooth_time = smooth_time
        self.prior = mapping.population_baseline if baseline is None else np.asarray(baseline)
        if self.prior.shape != mapping.population_baseline.shape:
            raise ValueError(f"baseline has shape {self.prior.shape}, expected "
                             f"{mapping.population_baseline.shape}")
        self.learn_baseline = learn_baseline
        self.tracker = FaceTracker(forget_after=forget_after)
        self._crowd_factory = crowd_factory
        self.crowd = crowd_factory()
        self.baseline_rule = BaselineRule()
        fusion = mapping.fusion
        self.network_rest = NetworkRest(fusion.rest_level if fusion else np.zeros(_K))
        self._faces = _FaceRows(len(mapping.feature_names), self.network_rest.population)
        self.latest = RoomEmotion(timestamp=0.0)
        self.venue = VenueBaseline(venue_baseline_s) if venue_baseline_s > 0 else None
        self._config = (mapping, smooth_time, forget_after, baseline, learn_baseline, reader)
        self.splits_roles = True  # False in the performer's own engine
        self.performer: EmotionEngine | None = None  # made at the first performer face
        self.neutral: VenueBaseline | None = None  # a performer's resting face being read
        self.neutral_note = ""  # what the last neutral capture did (the operator overlay)

    def capture_neutral(self, seconds: float) -> None:
        """Read the performer's resting face for `seconds` (the performer zone's faces when
        the camera calibration has one, else the largest face in view); then its mean
        features are every face's prior, as `essence calibrate neutral` writes them (kept
        in memory; the operator's neutral key)."""
        self.neutral = VenueBaseline(seconds)
        self.neutral_note = f"neutral: hold still, reading {seconds:g} s"

    def read_still(self, face: FaceObservation) -> EmotionReading:
        """The unsmoothed reading of a face in a still image, against the prior baseline."""
        return self.mapping.predict(face.blendshapes, self.prior, expression=face.expression,
                                    reader=self.reader)

    def update(self, observations: Observations) -> RoomEmotion:
        """Fold in the faces of one frame and return the new state."""
        now = observations.timestamp
        if self.neutral is not None and observations.faces:
            self._learn_neutral(observations.faces, now)
        if self.splits_roles:
            observations = self._split_performer(observations)
        if self.venue is not None and observations.faces:
            self._learn_venue(observations.faces, now)
        step = self.tracker.update(observations.faces, now)
        if step.matched:
            self._observe([track.face_id for track, _ in step.matched],
                          [face for _, face in step.matched], now)
        return self._publish(now, len(step.arrived), step.departed)

    def idle(self, now: float) -> RoomEmotion:
        """Advance time with no new frame (camera lost, perception busy): faces age and leave."""
        step = self.tracker.update((), now)
        if self.performer is not None:
            self.performer.idle(now)
        return self._publish(now, 0, step.departed)

    def reset(self) -> None:
        """Forget every face and the crowd history."""
        self.tracker.reset()
        self._faces.clear()
        self.crowd = self._crowd_factory()
        self.latest = RoomEmotion(timestamp=0.0)
        self.performer = None

    def _split_performer(self, observations: Observations) -> Observations:
        """The audience's faces; the performer's go to the performer's engine."""
        faces = observations.faces
        if self.performer is None and all(f.role is FaceRole.AUDIENCE for f in faces):
            return observations
        if self.performer is None:
            mapping, smooth, forget, baseline, learn, reader = self._config
            self.performer = EmotionEngine(mapping, smooth_time=smooth, forget_after=forget,
                                           baseline=baseline, learn_baseline=learn,
                                           reader=reader)
            self.performer.splits_roles = False
        self.performer.update(replace(observations, faces=tuple(
            f for f in faces if f.role is FaceRole.PERFORMER)))
        return replace(observations, faces=tuple(
            f for f in faces if f.role is not FaceRole.PERFORMER))

    def _learn_venue(self, faces: Sequence[FaceObservation], now: float) -> None:
        """Fold the faces into the venue baseline; at the end of its time it becomes the
        prior every face is read against."""
        assert self.venue is not None
        if self.venue.done:
            return
        features = self.mapping.features_matrix(blendshape_matrix([f.blendshapes for f in faces]))
        learned = self.venue.add(features, now)
        if learned is not None:
            self.prior = learned

    def _learn_neutral(self, faces: Sequence[FaceObservation], now: float) -> None:
        """Fold the performer's face into the neutral capture; at its end, the prior."""
        assert self.neutral is not None
        chosen = [f for f in faces if f.role is FaceRole.PERFORMER] or [
            max(faces, key=lambda f: (f.bbox[2] - f.bbox[0]) * (f.bbox[3] - f.bbox[1]))]
        capture = self.neutral
        features = self.mapping.features_matrix(blendshape_matrix([f.blendshapes
                                                                   for f in chosen]))
        learned = capture.add(features, now)
        if learned is None:
            return
        self.prior = learned
        if self.performer is not None:
            self.performer.prior = learned
        self.neutral = None
        self.neutral_note = f"neutral set from {capture.count} face frames"

    def _observe(self, ids: list[int], faces: list[FaceObservation], now: float) -> None:
        """Read every face of the frame at once, then update each one's state."""
        state, mapping = self._faces, self.mapping
        features = mapping.features_matrix(blendshape_matrix([f.blendshapes for f in faces]))
        rows, fresh = state.rows(ids, features, now)
        rowed = state.table[rows]  # this frame's faces' state; written back at the end
        dt = np.maximum(now - rowed[:, state.time], 0.0)
        base = self.prior
        if self.learn_baseline:
            envelope = self.baseline_rule.step(rowed[:, state.envelope], features, dt)
            rowed[:, state.envelope] = envelope
            rowed[:, state.age] += dt
            base = self.baseline_rule.value(self.prior, envelope, rowed[:, state.age])
        blend = mapping.probabilities(features - base)
        evidence, networked, rest = self._network(faces, rowed, blend, dt)
        raw = mapping.fuse_rows(blend, evidence, networked=networked, rest=rest,
                                reader=self.reader)
        goal = np.concatenate([raw.probabilities, raw.valence_arousal], axis=1)
        value, velocity = spring_step(rowed[:, state.value], rowed[:, state.velocity], goal,
                                      dt, self.smooth_time)
        value[fresh], velocity[fresh] = goal[fresh], 0.0  # a new face's spring starts there
        rowed[:, state.value], rowed[:, state.velocity], rowed[:, state.time] = (
            value, velocity, now)
        state.table[rows] = rowed
        state.readings.update(zip(ids, zip(_readings(value), raw.readings(), strict=True),
                                  strict=True))

    def _network(self, faces: list[FaceObservation], rowed: np.ndarray, blend: np.ndarray,
                 dt: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None,
                                          np.ndarray | None]:
        """The network's evidence for the faces it read (None: none of them), which those
        are (None: all), and their learned resting levels (None: not learned; the new means
        go into `rowed`). A face's level learns only while the blendshapes read it as
        neutral."""
        fusion = self.mapping.fusion
        if fusion is None:
            return None, None, None
        expressions = [face.expression for face in faces]
        networked = None
        if any(e is None for e in expressions):
            networked = np.array([e is not None for e in expressions])
            if not networked.any():
                return None, None, None
            expressions = [(0.0,) * _K if e is None else e for e in expressions]
        evidence = fusion.network_evidence(np.array(expressions, dtype=np.float64))
        if not self.learn_baseline:
            return evidence, networked, None
        rule, columns = self.network_rest, self._faces.rest
        resting = blend.argmax(axis=1) == _NEUTRAL
        if networked is not None:
            resting &= networked
        mean = rule.step(rowed[:, columns], evidence, dt, resting)
        rowed[:, columns] = mean
        return evidence, networked, rule.level(mean)

    def _publish(self, now: float, arrivals: int, departed: list[int]) -> RoomEmotion:
        tracks = self.tracker.tracks
        self._faces.keep_only(tracks)
        readings = self._faces.readings
        faces = []
        for face_id, track in sorted(tracks.items()):
            state = readings.get(face_id)
            if state is None or not track.confirmed:
                continue
            faces.append(
                FaceEmotion(
                    face_id=face_id,
                    center=track.center,
                    size=track.size,
                    smoothed=state[0],
                    raw=state[1],
                    age=now - track.first_seen,
                    motion=track.speed,
                    visible=track.last_seen == now,
                )
            )
        crowd = self.crowd.update(faces, now, arrivals=arrivals, departures=len(departed))
        self.latest = RoomEmotion(timestamp=now, faces=tuple(faces), crowd=crowd,
                                  performer=self._performer_reading())
        return self.latest


    def _performer_reading(self) -> EmotionReading | None:
        """The performer's smoothed reading (the largest performer face in view), or None."""
        if self.performer is None:
            return None
        seen = [f for f in self.performer.latest.faces if f.visible] or list(
            self.performer.latest.faces)
        return max(seen, key=lambda f: f.size).smoothed if seen else None


def _readings(vectors: np.ndarray) -> list[EmotionReading]:
    """Spring rows (probabilities, valence, arousal) as readings: the probabilities clipped
    and renormalised (all-zero reads neutral), valence and arousal clipped."""
    clipped = np.maximum(vectors[:, :_K], 0.0)
    total = clipped.sum(axis=1, keepdims=True)
    probabilities = np.where(total > 0, clipped / np.where(total > 0, total, 1.0),
                             np.array(NEUTRAL_READING.probabilities))
    va = np.minimum(np.maximum(vectors[:, _K:], -1.0), 1.0).tolist()
    return [EmotionReading(tuple(p), v, a)
            for p, (v, a) in zip(probabilities.tolist(), va, strict=True)]
