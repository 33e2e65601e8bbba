"""The batched emotion engine reads a room exactly as reading each face alone would.

The reference here is the per-face path, built only from public pieces: `FaceTracker` and
`CrowdAggregator` as the engine uses them, and for each face its own `FaceBaseline`,
`NetworkRest` and `CriticallyDamped`, read with `EmotionMapping.predict_features` (the
one-face reading the calibration tools use). The engine reads all faces of a frame as one
matrix; every RoomEmotion it publishes must match the reference's to floating-point
tolerance, for every reader, with faces the network reads and faces it does not.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, replace

import numpy as np
import pytest

from performance.config import Reader
from performance.core.types import (
    NEUTRAL_READING,
    EmotionReading,
    FaceEmotion,
    Observations,
    RoomEmotion,
    distribution,
)
from performance.emotion.baseline import FaceBaseline
from performance.emotion.crowd import CrowdAggregator
from performance.emotion.engine import EmotionEngine
from performance.emotion.fusion import NetworkRest
from performance.emotion.mapping import EmotionMapping
from performance.emotion.smoothing import CriticallyDamped
from performance.emotion.tracker import FaceTracker
from performance.perception.scripted import ScriptedAudience


@pytest.fixture(scope="module")
def mapping() -> EmotionMapping:
    return EmotionMapping.load()


@dataclass
class _Face:
    baseline: FaceBaseline
    spring: CriticallyDamped
    last_time: float
    rest: NetworkRest | None = None
    smoothed: EmotionReading = NEUTRAL_READING
    raw: EmotionReading = NEUTRAL_READING


class PerFaceEngine:
    """The emotion engine's behaviour written face by face (the reference)."""

    def __init__(self, mapping: EmotionMapping, reader: Reader, learn: bool) -> None:
        self.mapping, self.reader, self.learn = mapping, reader, learn
        self.tracker = FaceTracker()
        self.crowd = CrowdAggregator()
        self.faces: dict[int, _Face] = {}

    def update(self, observations: Observations) -> RoomEmotion:
        now = observations.timestamp
        step = self.tracker.update(observations.faces, now)
        m, fusion = self.mapping, self.mapping.fusion
        for track, face in step.matched:
            features = m.features(face.blendshapes)
            state = self.faces.setdefault(track.face_id, _Face(
                FaceBaseline(m.population_baseline), CriticallyDamped(0.35), now))
            dt = max(now - state.last_time, 0.0)
            base = state.baseline.update(features, dt) if self.learn else m.population_baseline
            rest = None
            if fusion is not None and face.expression is not None and self.learn:
                state.rest = state.rest or NetworkRest(fusion.rest_level)
                alone = m.predict_features(features, base, reader=Reader.BLENDSHAPES)
                rest = state.rest.update(fusion.network_evidence(np.array(face.expression)),
                                         dt, resting=alone.label == "neutral")
            state.raw = m.predict_features(features, base, expression=face.expression,
                                           rest=rest, reader=self.reader)
            v = state.spring.update(np.array([*state.raw.probabilities, state.raw.valence,
                                              state.raw.arousal]), dt)
            state.smoothed = EmotionReading(distribution(v[:-2]),
                                            float(np.clip(v[-2], -1, 1)),
                                            float(np.clip(v[-1], -1, 1)))
            state.last_time = now
        return self._publish(now, len(step.arrived), len(step.departed))

    def idle(self, now: float) -> RoomEmotion:
        step = self.tracker.update((), now)
        return self._publish(now, 0, len(step.departed))

    def _publish(self, now: float, arrivals: int, departures: int) -> RoomEmotion:
        self.faces = {i: s for i, s in self.faces.items() if i in self.tracker.tracks}
        faces = tuple(
            FaceEmotion(i, t.center, t.size, self.faces[i].smoothed, self.faces[i].raw,
                        now - t.first_seen, t.speed, t.last_seen == now)
            for i, t in sorted(self.tracker.tracks.items()) if t.confirmed)
        crowd = self.crowd.update(faces, now, arrivals=arrivals, departures=departures)
        return RoomEmotion(now, faces, crowd)


def sequence(frames: int = 420, fps: float = 10.0) -> list[Observations | float]:
    """Five scripted faces (the last comes and goes) over 42 s; the network reads some
    faces in some frames; a face is missed now and then; some frames are only `idle`."""
    audience = ScriptedAudience(5, seed=3)
    rng = np.random.default_rng(0)
    out: list[Observations | float] = []
    for i in range(frames):
        t = 20.0 + i / fps
        if i % 53 == 11:
            out.append(t)  # idle: no frame
            continue
        obs = audience.observe(t)
        faces = []
        for k, face in enumerate(obs.faces):
            if (k + i // 30) % 3 != 0:  # read by the network, changing with time
                p = rng.dirichlet(np.full(7, 0.7))
                face = replace(face, expression=tuple(p.tolist()))
            faces.append(face)
        if i % 37 == 3:
            faces = faces[1:]  # missed for one frame
        out.append(replace(obs, faces=tuple(faces)))
    return out


def assert_same_room(got: RoomEmotion, want: RoomEmotion) -> None:
    assert got.timestamp == want.timestamp
    assert [f.face_id for f in got.faces] == [f.face_id for f in want.faces]
    for a, b in zip(got.faces, want.faces, strict=True):
        assert (a.center, a.size, a.age, a.motion, a.visible) == \
            (b.center, b.size, b.age, b.motion, b.visible)
        for x, y in ((a.smoothed, b.smoothed), (a.raw, b.raw)):
            np.testing.assert_allclose(x.probabilities, y.probabilities, rtol=0, atol=1e-9)
            assert x.valence == pytest.approx(y.valence, abs=1e-9)
            assert x.arousal == pytest.approx(y.arousal, abs=1e-9)
    np.testing.assert_allclose(np.hstack([np.ravel(v) for v in astuple(got.crowd)]),
                               np.hstack([np.ravel(v) for v in astuple(want.crowd)]),
                               rtol=0, atol=1e-9)


@pytest.mark.parametrize(("reader", "learn"), [
    (Reader.FUSED, True), (Reader.BLENDSHAPES, True), (Reader.NETWORK, True),
    (Reader.FUSED, False),
])
def test_batched_engine_reads_the_room_as_the_per_face_path(
        mapping: EmotionMapping, reader: Reader, learn: bool) -> None:
    assert mapping.fusion is not None  # the shipped mapping fuses the network's reading
    engine = EmotionEngine(mapping, smooth_time=0.35, reader=reader, learn_baseline=learn)
    reference = PerFaceEngine(mapping, reader, learn)
    counts, networked, visitor_seen = set(), 0, False
    for item in sequence():
        if isinstance(item, float):
            got, want = engine.idle(item), reference.idle(item)
        else:
            got, want = engine.update(item), reference.update(item)
            networked += sum(f.expression is not None for f in item.faces)
        assert_same_room(got, want)
        counts.add(len(got.faces))
        visitor_seen |= len(got.faces) == 5
    assert visitor_seen and min(counts) <= 4  # the visitor came and went
    assert networked > 100  # and the network read many faces, not all


def test_readers_differ_on_a_face_the_network_reads(mapping: EmotionMapping) -> None:
    """The comparison above is not vacuous: the readers give different readings."""
    face = replace(ScriptedAudience(1).observe(30.0).faces[0],
                   expression=(0.05, 0.05, 0.6, 0.1, 0.1, 0.05, 0.05))
    raws = {}
    for reader in Reader:
        engine = EmotionEngine(mapping, reader=reader)
        for i in range(4):
            room = engine.update(Observations(30.0 + i / 10, i, "t", (face,)))
        raws[reader] = room.faces[0].raw.probabilities
    assert len({tuple(np.round(p, 6)) for p in raws.values()}) == 3


def test_rows_read_as_one_face_each(mapping: EmotionMapping) -> None:
    """`read_rows` (the engine's path) and `predict_features` (one face) agree row by row,
    with the network on some rows, a learned rest on those, and a baseline per row."""
    rng = np.random.default_rng(5)
    n = 9
    features = mapping.population_baseline + rng.normal(0, 0.15, (n, len(mapping.feature_names)))
    baselines = mapping.population_baseline + rng.normal(0, 0.03, features.shape)
    network = rng.dirichlet(np.ones(7), n)
    networked = np.arange(n) % 3 != 0
    rest = rng.normal(0, 0.3, (n, 7))
    for reader in Reader:
        rows = mapping.read_rows(features, baselines, network=network, networked=networked,
                                 rest=rest, reader=reader).readings()
        for i in range(n):
            one = mapping.predict_features(
                features[i], baselines[i], expression=network[i] if networked[i] else None,
                rest=rest[i], reader=reader)
            assert rows[i].probabilities == pytest.approx(one.probabilities, abs=1e-12)
            assert (rows[i].valence, rows[i].arousal) == pytest.approx(
                (one.valence, one.arousal), abs=1e-12)
