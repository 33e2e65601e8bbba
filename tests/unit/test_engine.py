"""The emotion engine with the shipped mapping: frame-rate independence, identity, baselines."""

from __future__ import annotations

import numpy as np
import pytest

from performance.core.types import FaceObservation, Observations
from performance.emotion.engine import EmotionEngine
from performance.emotion.mapping import EmotionMapping


@pytest.fixture(scope="module")
def mapping() -> EmotionMapping:
    return EmotionMapping.load()


def smile(mapping: EmotionMapping, amount: float) -> dict[str, float]:
    scores = dict(mapping.resting_blendshapes)
    for side in ("Left", "Right"):
        scores[f"mouthSmile{side}"] = amount
        scores[f"eyeSquint{side}"] = scores.get(f"eyeSquint{side}", 0.3) + 0.3 * amount
        scores[f"cheekSquint{side}"] = 0.2 * amount
    return scores


def observe(t: float, *faces: tuple[float, dict[str, float]]) -> Observations:
    return Observations(
        timestamp=t, frame_index=int(t * 1000), source="test",
        faces=tuple(FaceObservation(bbox=(x - 0.05, 0.4, x + 0.05, 0.5), blendshapes=s)
                    for x, s in faces),
    )


def valence_curve(mapping: EmotionMapping, fps: float) -> dict[float, float]:
    engine = EmotionEngine(mapping, smooth_time=0.4)
    out = {}
    for i in range(round(3.0 * fps) + 1):
        t = i / fps
        scores = smile(mapping, 0.9 if t >= 1.0 else 0.0)
        state = engine.update(observe(t, (0.5, scores)))
        if state.faces:
            out[round(t, 6)] = state.faces[0].smoothed.valence
    return out


def test_same_emotion_curve_at_24_30_and_60_fps(mapping: EmotionMapping) -> None:
    curves = [valence_curve(mapping, fps) for fps in (24.0, 30.0, 60.0)]
    for t in (1.5, 2.0, 3.0):
        values = [c[t] for c in curves]
        assert max(values) - min(values) < 0.03, (t, values)
    assert curves[1][3.0] > curves[1][1.0] + 0.3  # and the smile did move it


def test_resting_face_reads_neutral_and_a_smile_reads_happy(mapping: EmotionMapping) -> None:
    engine = EmotionEngine(mapping)
    for i in range(60):
        state = engine.update(observe(i / 30, (0.5, smile(mapping, 0.0))))
    assert state.faces[0].smoothed.label == "neutral"
    assert abs(state.faces[0].smoothed.valence) < 0.2
    for i in range(60, 120):
        state = engine.update(observe(i / 30, (0.5, smile(mapping, 0.9))))
    assert state.faces[0].smoothed.label == "happy"
    assert state.crowd.valence > 0.3


def test_a_face_that_leaves_is_forgotten_with_its_baseline(mapping: EmotionMapping) -> None:
    engine = EmotionEngine(mapping, forget_after=1.0)
    # a face whose resting smile is high: its own baseline absorbs it over time
    resting_smiler = smile(mapping, 0.35)
    for i in range(300):
        state = engine.update(observe(i / 30, (0.3, resting_smiler)))
    learned = state.faces[0].smoothed.valence
    assert state.faces[0].face_id == 1
    t = 10.0
    while state.faces:
        t += 1 / 30
        state = engine.idle(t)
    assert t < 10.0 + 1.2
    # it comes back: a new id, and the population baseline again (reads more positive)
    for i in range(15):
        state = engine.update(observe(t + (i + 1) / 30, (0.3, resting_smiler)))
    assert [f.face_id for f in state.faces] == [2]
    assert state.faces[0].raw.valence > learned + 0.05


def test_explicit_baseline_changes_the_reading(mapping: EmotionMapping) -> None:
    scores = smile(mapping, 0.4)
    plain = EmotionEngine(mapping, learn_baseline=False)
    own = EmotionEngine(mapping, learn_baseline=False, baseline=mapping.features(scores))
    a = plain.read_still(FaceObservation((0.4, 0.4, 0.6, 0.6), scores))
    b = own.read_still(FaceObservation((0.4, 0.4, 0.6, 0.6), scores))
    assert a.valence > b.valence + 0.1
    assert b.label == "neutral"


def test_probabilities_stay_a_distribution_after_smoothing(mapping: EmotionMapping) -> None:
    engine = EmotionEngine(mapping, smooth_time=0.2)
    rng = np.random.default_rng(1)
    names = list(mapping.resting_blendshapes)
    for i in range(90):
        scores = {n: float(v) for n, v in zip(names, rng.uniform(0, 1, len(names)), strict=True)}
        state = engine.update(observe(i / 30, (0.5, scores)))
        for face in state.faces:
            p = np.array(face.smoothed.probabilities)
            assert p.min() >= 0 and p.sum() == pytest.approx(1.0)
            assert -1 <= face.smoothed.valence <= 1 and -1 <= face.smoothed.arousal <= 1


def test_a_face_the_network_reads_sad_at_rest_learns_its_own_level(
    mapping: EmotionMapping,
) -> None:
    """Live, the network's reading of a resting face is read against that face's own
    learned resting level: a face the network keeps reading a little sad reads less sad after
    a minute, while the blendshape reader alone never changes its mind."""
    from performance.config import Reader
    from performance.core.types import EMOTIONS

    rest = dict(mapping.resting_blendshapes)
    sad = [0.05] * len(EMOTIONS)
    sad[EMOTIONS.index("sad")], sad[EMOTIONS.index("neutral")] = 0.5, 0.2
    sad = [p / sum(sad) for p in sad]
    engine = EmotionEngine(mapping, reader=Reader.FUSED)
    readings = []
    for i in range(601):  # a minute at 10 frames a second
        t = i / 10
        face = FaceObservation(bbox=(0.4, 0.3, 0.6, 0.6), blendshapes=rest,
                               expression=tuple(sad))
        state = engine.update(Observations(timestamp=t, frame_index=i, source="test",
                                           faces=(face,)))
        if state.faces:
            readings.append(state.faces[0].raw.probability("sad"))
    assert readings[-1] < 0.85 * readings[0]  # half of the learned difference is taken out
    plain = EmotionEngine(mapping, reader=Reader.BLENDSHAPES)
    face = FaceObservation(bbox=(0.4, 0.3, 0.6, 0.6), blendshapes=rest, expression=tuple(sad))
    for i in range(5):
        state = plain.update(Observations(timestamp=i / 10, frame_index=i, source="test",
                                          faces=(face,)))
    assert state.faces and state.faces[0].raw.label == "neutral"


def test_a_smile_held_for_ten_seconds_stays_a_smile(mapping: EmotionMapping) -> None:
    """The network's resting level learns only while the blendshapes see a resting face, so
    a face that arrives smiling and holds the smile keeps reading happy."""
    from performance.config import Reader
    from performance.core.types import EMOTIONS

    happy = [0.05] * len(EMOTIONS)
    happy[EMOTIONS.index("happy")] = 0.7
    happy = [p / sum(happy) for p in happy]
    engine = EmotionEngine(mapping, reader=Reader.FUSED)
    face = FaceObservation(bbox=(0.4, 0.3, 0.6, 0.6), blendshapes=smile(mapping, 0.6),
                           expression=tuple(happy))
    labels = []
    for i in range(101):  # 10 s at 10 frames a second
        state = engine.update(Observations(timestamp=i / 10, frame_index=i, source="test",
                                           faces=(face,)))
        if state.faces:
            labels.append((state.faces[0].raw.label, state.faces[0].raw.probability("happy")))
    assert all(label == "happy" for label, _ in labels)
    # the blendshapes' own baseline rises slowly under a held smile (by design); learning the
    # smile as the network's rest too would take p(happy) to about 0.61 here
    assert labels[-1][1] > 0.75
